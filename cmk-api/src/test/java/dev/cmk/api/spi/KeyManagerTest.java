package dev.cmk.api.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.DeletedKey;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class KeyManagerTest {
  /** A manager with only the mandatory operations, as a PKCS#11-like backend has. */
  private static final KeyManager MINIMAL =
      new KeyManager() {
        @Override
        public Set<Capability> capabilities() {
          return Set.of();
        }

        @Override
        public KeyReference keyReference(String name) {
          return KeyReference.local(name, null);
        }

        @Override
        public KeyReference createKey(String name, int sizeBits) {
          return KeyReference.local(name, "v1");
        }

        @Override
        public KeyReference rotateKey(KeyReference key) {
          return key.withVersion("v2");
        }

        @Override
        public void setEnabled(KeyReference version, boolean enabled) {}

        @Override
        public void deleteKey(KeyReference key) {}

        @Override
        public List<KeyReference> listKeys() {
          return List.of();
        }

        @Override
        public List<KeyDescription> listVersions(KeyReference key) {
          return List.of();
        }
      };

  @Test
  void optionalOperations_withoutCapability_unsupportedNamingIt() {
    KeyReference v = KeyReference.local("k", "v1");
    List<Executable> calls =
        List.of(
            () -> MINIMAL.setNotBefore(v, Instant.EPOCH),
            () -> MINIMAL.setExpiry(v, null),
            () -> MINIMAL.setOperations(v, EnumSet.of(KeyOperation.WRAP_KEY)),
            () -> MINIMAL.importKey("k", null),
            () -> MINIMAL.deleteVersion(v),
            () -> MINIMAL.recoverKey(v),
            () -> MINIMAL.purgeKey(v));
    List<String> needed =
        List.of("VALIDITY", "VALIDITY", "OPERATIONS", "IMPORT", "DELETE_VERSION", "SOFT_DELETE",
            "SOFT_DELETE");
    for (int i = 0; i < calls.size(); i++) {
      UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, calls.get(i));
      assertTrue(e.getMessage().contains(needed.get(i)), e.getMessage());
    }
  }

  @Test
  void keySizes_default_rsaKeySizes() {
    assertEquals(List.of(2048, 3072, 4096), MINIMAL.keySizes());
    assertEquals(KeyManager.RSA_KEY_SIZES, MINIMAL.keySizes());
    assertThrows(UnsupportedOperationException.class, () -> MINIMAL.keySizes().add(1024));
  }

  @Test
  void requireKeySize_acceptedSize_returnsIt() {
    assertEquals(3072, KeyManager.requireKeySize(3072, KeyManager.RSA_KEY_SIZES));
  }

  @Test
  void requireKeySize_otherSize_throwsListingAcceptedSizes() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KeyManager.requireKeySize(1024, KeyManager.RSA_KEY_SIZES));
    assertEquals("RSA key size must be one of [2048, 3072, 4096] bits, found 1024", e.getMessage());
    assertThrows(NullPointerException.class, () -> KeyManager.requireKeySize(2048, null));
  }

  @Test
  void listDeletedKeys_withoutSoftDelete_empty() {
    assertEquals(List.of(), MINIMAL.listDeletedKeys());
  }

  @Test
  void keyManager_providerDefault_empty() {
    KeyEncryptionKeyProvider p = new StubProvider("none");
    assertEquals(Optional.empty(), p.keyManager());
  }

  @Test
  void deletedKey_validates() {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    KeyReference k = KeyReference.local("k", null);
    DeletedKey d = new DeletedKey(k, t, t.plusSeconds(90 * 86400), 2);
    assertEquals(2, d.versions());
    assertThrows(
        IllegalArgumentException.class,
        () -> new DeletedKey(k.withVersion("v1"), t, t, 1),
        "versioned");
    assertThrows(IllegalArgumentException.class, () -> new DeletedKey(k, t, t, 0));
    assertThrows(NullPointerException.class, () -> new DeletedKey(null, t, t, 1));
    assertThrows(NullPointerException.class, () -> new DeletedKey(k, null, t, 1));
    assertThrows(NullPointerException.class, () -> new DeletedKey(k, t, null, 1));
  }

  @Test
  void requireRsaKeyPair_matchingPairInRange_returnsSize() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(1024);
    KeyPair a = g.generateKeyPair();
    KeyPair b = g.generateKeyPair();
    assertEquals(1024, KeyManager.requireRsaKeyPair(a, 1024, 8192));
    IllegalArgumentException range =
        assertThrows(
            IllegalArgumentException.class, () -> KeyManager.requireRsaKeyPair(a, 2048, 8192));
    assertEquals("RSA key size must be 2048-8192 bits, found 1024", range.getMessage());
    IllegalArgumentException mixed =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                KeyManager.requireRsaKeyPair(
                    new KeyPair(a.getPublic(), b.getPrivate()), 1024, 8192));
    assertEquals("keyPair's public and private keys do not match", mixed.getMessage());
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(256);
    assertThrows(
        IllegalArgumentException.class,
        () -> KeyManager.requireRsaKeyPair(ec.generateKeyPair(), 1024, 8192));
    assertThrows(NullPointerException.class, () -> KeyManager.requireRsaKeyPair(null, 1, 2));
  }
}
