package dev.cmk.azure.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.spi.RsaOaep;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.Test;

class RsaOaepAndCacheTest {

  private static byte[] unsigned(BigInteger v) {
    byte[] b = v.toByteArray();
    return b[0] == 0 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b;
  }

  @Test
  void wrap_jwkPublicKey_unwrapsWithJdkOaep256() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair pair = g.generateKeyPair();
    RSAPublicKey pub = (RSAPublicKey) pair.getPublic();
    RSAPublicKey fromJwk = KeyVaultKeys.rsaPublicKey(unsigned(pub.getModulus()), unsigned(pub.getPublicExponent()));
    assertEquals(pub.getModulus(), fromJwk.getModulus());
    byte[] dataKey = new byte[32];
    dataKey[0] = 42;
    byte[] wrapped = RsaOaep.wrap(fromJwk, WrapAlgorithm.RSA_OAEP_256, SecretBytes.copyOf(dataKey));
    assertEquals(256, wrapped.length);
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(Cipher.DECRYPT_MODE, pair.getPrivate(),
        new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    assertArrayEquals(dataKey, c.doFinal(wrapped));
    assertThrows(IllegalArgumentException.class, () -> RsaOaep.wrap(fromJwk, WrapAlgorithm.RSA_OAEP_256, SecretBytes.copyOf(new byte[191])));
    assertEquals(
        256, RsaOaep.wrap(fromJwk, WrapAlgorithm.RSA_OAEP_256, SecretBytes.copyOf(new byte[190])).length);
  }

  @Test
  void publicKey_missingParts_isRejected() {
    assertThrows(IllegalArgumentException.class, () -> KeyVaultKeys.rsaPublicKey(null, new byte[] {1, 0, 1}));
    assertThrows(IllegalArgumentException.class, () -> KeyVaultKeys.rsaPublicKey(new byte[0], new byte[] {1, 0, 1}));
  }

  @Test
  void boundedCache_evictsLeastRecentlyUsedBeyondBound() {
    BoundedCache<String, Integer> cache = new BoundedCache<>(2);
    cache.put("a", 1);
    cache.put("b", 2);
    cache.get("a");
    cache.put("c", 3);
    assertEquals(2, cache.size());
    assertNull(cache.get("b"));
    assertEquals(1, cache.get("a"));
    Integer created = cache.computeIfAbsent("d", k -> 4);
    assertSame(created, cache.computeIfAbsent("d", k -> 5));
    cache.clear();
    assertEquals(0, cache.size());
    assertThrows(IllegalArgumentException.class, () -> new BoundedCache<String, String>(0));
  }
}
