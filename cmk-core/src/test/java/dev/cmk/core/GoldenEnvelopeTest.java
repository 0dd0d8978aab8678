package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Envelopes written by cmk 0.1 and committed under {@code src/test/resources/golden/} must decrypt
 * in every later version. The RSA key is a test-only key committed beside them.
 *
 * <p>To (re)generate — only ever for a new format version, never to "fix" this test — run with
 * {@code -Dcmk.golden.write=src/test/resources/golden}.
 */
class GoldenEnvelopeTest {
  private static final String[] CASES = {"empty", "short", "three-segments", "exact-segment"};

  static byte[] plaintextFor(String name) {
    switch (name) {
      case "empty":
        return new byte[0];
      case "short":
        return "{\"resourceType\":\"Patient\",\"id\":\"123\"}".getBytes(StandardCharsets.UTF_8);
      case "three-segments":
        byte[] b = new byte[2 * 256 + 100];
        for (int i = 0; i < b.length; i++) {
          b[i] = (byte) (i * 31 + 7);
        }
        return b;
      case "exact-segment":
        byte[] e = new byte[256];
        for (int i = 0; i < e.length; i++) {
          e[i] = (byte) i;
        }
        return e;
      default:
        throw new IllegalArgumentException(name);
    }
  }

  static byte[] aadFor(String name) {
    return ("golden/" + name).getBytes(StandardCharsets.UTF_8);
  }

  private static InputStream resource(String name) {
    InputStream in = GoldenEnvelopeTest.class.getResourceAsStream("/golden/" + name);
    if (in == null) {
      throw new IllegalStateException("missing golden resource " + name);
    }
    return in;
  }

  static KeyPair goldenKey() throws Exception {
    try (InputStream in = resource("golden-kek.properties")) {
      return readKey(in);
    }
  }

  /** Reads a key file as {@code write} creates it: the private key in its {@code pkcs8} property. */
  private static KeyPair readKey(InputStream in) throws Exception {
    Properties p = new Properties();
    p.load(in);
    KeyFactory kf = KeyFactory.getInstance("RSA");
    RSAPrivateCrtKey priv =
        (RSAPrivateCrtKey)
            kf.generatePrivate(
                new PKCS8EncodedKeySpec(Base64.getDecoder().decode(p.getProperty("pkcs8"))));
    return new KeyPair(
        kf.generatePublic(new RSAPublicKeySpec(priv.getModulus(), priv.getPublicExponent())), priv);
  }

  @Test
  void goldenEnvelopes_writtenByVersion01_stillDecrypt() throws Exception {
    String target = System.getProperty("cmk.golden.write");
    if (target != null) {
      write(Path.of(target));
    }
    EnvelopeCrypto crypto =
        EnvelopeCrypto.builder().provider(new FixedRsaProvider(goldenKey())).build();
    for (String name : CASES) {
      byte[] envelope;
      try (InputStream in = resource(name + ".cmk")) {
        envelope = in.readAllBytes();
      }
      byte[] expected = plaintextFor(name);
      assertArrayEquals(expected, crypto.decrypt(envelope, aadFor(name)), name);
      assertArrayEquals(
          expected,
          crypto.decryptingStream(new ByteArrayInputStream(envelope), aadFor(name)).readAllBytes(),
          name);
      EnvelopeInfo info = EnvelopeInfo.of(envelope);
      assertEquals(1, info.formatVersion());
      assertEquals(FixedRsaProvider.KEY, info.keyReference());
      assertEquals(256, info.segmentSize());
      assertEquals(expected.length, info.plaintextLength().getAsLong());
    }
  }

  private static void write(Path dir) throws Exception {
    Files.createDirectories(dir);
    Path keyFile = dir.resolve("golden-kek.properties");
    if (!Files.exists(keyFile)) {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      KeyPair kp = g.generateKeyPair();
      Files.writeString(
          keyFile,
          "# TEST-ONLY RSA-2048 key that wraps the golden envelopes. Never use it for real data.\n"
              + "pkcs8="
              + Base64.getEncoder().encodeToString(kp.getPrivate().getEncoded())
              + "\n");
    }
    KeyPair kp;
    try (InputStream in = Files.newInputStream(keyFile)) {
      kp = readKey(in);
    }
    EnvelopeCrypto crypto =
        EnvelopeCrypto.builder()
            .provider(new FixedRsaProvider(kp))
            .writeKey(FixedRsaProvider.KEY)
            .segmentSize(256)
            .build();
    for (String name : CASES) {
      Files.write(dir.resolve(name + ".cmk"), crypto.encrypt(plaintextFor(name), aadFor(name)));
    }
    // Re-read from the class path happens in the test body; make sure the files are there too.
    for (String name : CASES) {
      if (!Files.exists(dir.resolve(name + ".cmk"))) {
        throw new IOException("failed to write " + name);
      }
    }
  }
}
