package dev.cmk.api.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Cipher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RsaOaepTest {
  private static final KeyPair RSA_2048 = rsa(2048);
  private static final KeyPair RSA_3072 = rsa(3072);

  private static KeyPair rsa(int bits) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(bits);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static SecretBytes dataKey(int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i * 7 + 1);
    }
    return SecretBytes.wrapOwned(b);
  }

  @ParameterizedTest
  @EnumSource(WrapAlgorithm.class)
  void wrapUnwrap_roundTrip_returnsDataKey(WrapAlgorithm algorithm) {
    SecretBytes key = dataKey(32);
    byte[] wrapped = RsaOaep.wrap(RSA_2048.getPublic(), algorithm, key);
    assertEquals(256, wrapped.length, "one modulus-sized block");
    assertEquals(key, RsaOaep.unwrap(RSA_2048.getPrivate(), algorithm, wrapped));
    assertFalse(key.isDestroyed(), "wrap must not destroy the caller's data key");
  }

  @Test
  void wrap_sameKeyTwice_randomised() {
    SecretBytes key = dataKey(32);
    byte[] a = RsaOaep.wrap(RSA_2048.getPublic(), WrapAlgorithm.RSA_OAEP_256, key);
    byte[] b = RsaOaep.wrap(RSA_2048.getPublic(), WrapAlgorithm.RSA_OAEP_256, key);
    assertFalse(Arrays.equals(a, b));
  }

  @Test
  void wrap_oaep256_interoperatesWithJdkExplicitParameters() throws Exception {
    SecretBytes key = dataKey(32);
    byte[] wrapped = RsaOaep.wrap(RSA_3072.getPublic(), WrapAlgorithm.RSA_OAEP_256, key);
    Cipher jdk = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
    jdk.init(
        Cipher.DECRYPT_MODE,
        RSA_3072.getPrivate(),
        WrapAlgorithm.RSA_OAEP_256.oaepParameters());
    assertArrayEquals(key.copy(), jdk.doFinal(wrapped));
  }

  @Test
  void unwrap_jdkDefaultMgf1Sha1_isNotRsaOaep256() throws Exception {
    // The JDK's default for this transformation is MGF1-SHA-1: such bytes must not unwrap as
    // RSA-OAEP-256 (Key Vault's), which proves the helper does not use JDK defaults.
    Cipher jdkDefault = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
    jdkDefault.init(Cipher.ENCRYPT_MODE, RSA_2048.getPublic());
    byte[] wrapped = jdkDefault.doFinal(dataKey(32).copy());
    InvalidCiphertextException e =
        assertThrows(
            InvalidCiphertextException.class,
            () -> RsaOaep.unwrap(RSA_2048.getPrivate(), WrapAlgorithm.RSA_OAEP_256, wrapped));
    assertNull(e.getCause());
  }

  @Test
  void unwrap_tamperedEveryRegion_invalidCiphertextWithoutCause() {
    byte[] wrapped = RsaOaep.wrap(RSA_2048.getPublic(), WrapAlgorithm.RSA_OAEP_256, dataKey(32));
    for (int index : new int[] {0, 1, 100, 255}) {
      byte[] tampered = wrapped.clone();
      tampered[index] ^= 0x01;
      InvalidCiphertextException e =
          assertThrows(
              InvalidCiphertextException.class,
              () -> RsaOaep.unwrap(RSA_2048.getPrivate(), WrapAlgorithm.RSA_OAEP_256, tampered),
              "byte " + index);
      assertNull(e.getCause(), "a cause would be a padding oracle");
      assertEquals(InvalidCiphertextException.MESSAGE, e.getMessage());
    }
  }

  @Test
  void unwrap_wrongLengthOrKeyOrAlgorithm_invalidCiphertextWithoutCause() {
    byte[] wrapped = RsaOaep.wrap(RSA_2048.getPublic(), WrapAlgorithm.RSA_OAEP_256, dataKey(32));
    List<byte[]> bad =
        List.of(
            Arrays.copyOf(wrapped, wrapped.length - 1),
            Arrays.copyOf(wrapped, wrapped.length + 1),
            new byte[0],
            new byte[256]);
    for (byte[] b : bad) {
      InvalidCiphertextException e =
          assertThrows(
              InvalidCiphertextException.class,
              () -> RsaOaep.unwrap(RSA_2048.getPrivate(), WrapAlgorithm.RSA_OAEP_256, b));
      assertNull(e.getCause());
    }
    assertNull(
        assertThrows(
                InvalidCiphertextException.class,
                () -> RsaOaep.unwrap(rsa(2048).getPrivate(), WrapAlgorithm.RSA_OAEP_256, wrapped))
            .getCause());
    assertNull(
        assertThrows(
                InvalidCiphertextException.class,
                () -> RsaOaep.unwrap(RSA_2048.getPrivate(), WrapAlgorithm.RSA_OAEP_SHA1, wrapped))
            .getCause());
  }

  @Test
  void unwrap_emptyMessage_invalidCiphertext() throws Exception {
    Cipher jdk = Cipher.getInstance("RSA/ECB/OAEPPadding");
    jdk.init(Cipher.ENCRYPT_MODE, RSA_2048.getPublic(), WrapAlgorithm.RSA_OAEP_256.oaepParameters());
    byte[] wrapped = jdk.doFinal(new byte[0]);
    assertThrows(
        InvalidCiphertextException.class,
        () -> RsaOaep.unwrap(RSA_2048.getPrivate(), WrapAlgorithm.RSA_OAEP_256, wrapped));
  }

  @Test
  void wrap_dataKeyLongerThanOneBlock_illegalArgumentNamingSizes() {
    int max = WrapAlgorithm.RSA_OAEP_256.maxMessageLength(256);
    assertEquals(190, max);
    byte[] atMax = RsaOaep.wrap(RSA_2048.getPublic(), WrapAlgorithm.RSA_OAEP_256, dataKey(max));
    assertEquals(256, atMax.length);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RsaOaep.wrap(RSA_2048.getPublic(), WrapAlgorithm.RSA_OAEP_256, dataKey(max + 1)));
    assertTrue(e.getMessage().contains("191 bytes") && e.getMessage().contains("RSA-2048"), e.getMessage());
  }

  @Test
  void wrapUnwrap_nonRsaOrNullArguments_refused() throws Exception {
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = ec.generateKeyPair();
    SecretBytes key = dataKey(32);
    assertThrows(
        IllegalArgumentException.class,
        () -> RsaOaep.wrap(pair.getPublic(), WrapAlgorithm.RSA_OAEP_256, key));
    assertThrows(
        IllegalArgumentException.class,
        () -> RsaOaep.unwrap(pair.getPrivate(), WrapAlgorithm.RSA_OAEP_256, new byte[256]));
    assertThrows(NullPointerException.class, () -> RsaOaep.wrap(null, WrapAlgorithm.RSA_OAEP_256, key));
    assertThrows(NullPointerException.class, () -> RsaOaep.wrap(RSA_2048.getPublic(), null, key));
    assertThrows(
        NullPointerException.class,
        () -> RsaOaep.unwrap(RSA_2048.getPrivate(), WrapAlgorithm.RSA_OAEP_256, null));
  }

  @Test
  void wrap_destroyedDataKey_illegalState() {
    SecretBytes key = dataKey(32);
    key.destroy();
    assertThrows(
        IllegalStateException.class,
        () -> RsaOaep.wrap(RSA_2048.getPublic(), WrapAlgorithm.RSA_OAEP_256, key));
  }

  /** Every empty-label case of Wycheproof's RSA-OAEP-256 2048-bit file (a copy of the subset). */
  @Test
  void unwrap_wycheproofVectors_validUnwrapInvalidRefusedWithoutCause() throws Exception {
    List<String> lines = new ArrayList<>();
    try (InputStream in =
            RsaOaepTest.class.getResourceAsStream("wycheproof-rsa-oaep-2048-sha256-empty-label.txt");
        BufferedReader r =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.startsWith("#")) {
          lines.add(line);
        }
      }
    }
    HexFormat hex = HexFormat.of();
    PrivateKey key =
        KeyFactory.getInstance("RSA")
            .generatePrivate(new PKCS8EncodedKeySpec(hex.parseHex(lines.get(0).substring(4))));
    int valid = 0;
    int invalid = 0;
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(" ");
      String id = "tcId " + f[1];
      byte[] msg = f[3].equals("-") ? new byte[0] : hex.parseHex(f[3]);
      byte[] ct = f[4].equals("-") ? new byte[0] : hex.parseHex(f[4]);
      if (f[2].equals("valid") && msg.length > 0) {
        assertArrayEquals(msg, RsaOaep.unwrap(key, WrapAlgorithm.RSA_OAEP_256, ct).copy(), id);
        valid++;
      } else {
        // Invalid cases, and the valid empty message, which cmk never wraps (no empty data key).
        InvalidCiphertextException e =
            assertThrows(
                InvalidCiphertextException.class,
                () -> RsaOaep.unwrap(key, WrapAlgorithm.RSA_OAEP_256, ct),
                id);
        assertNull(e.getCause(), id);
        invalid++;
      }
    }
    assertTrue(valid >= 9 && invalid >= 19, "cases: " + valid + " valid, " + invalid + " invalid");
  }
}
