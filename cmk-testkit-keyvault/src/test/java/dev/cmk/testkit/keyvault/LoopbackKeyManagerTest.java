package dev.cmk.testkit.keyvault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.DeletedKey;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.api.spi.KeyManager.Capability;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LoopbackVault.keyManager(): cmk-api's KeyManager vocabulary on a loopback vault's state. */
class LoopbackKeyManagerTest {
  private static final Instant NOW = Instant.parse("2026-03-01T00:00:00Z");
  private static LoopbackKeyVault server;
  private static LoopbackVault vault;
  private static LoopbackVault hsm;
  private static KeyManager keys;

  @BeforeAll
  static void start() {
    server =
        LoopbackKeyVault.builder()
            .keyVault("kmvault")
            .managedHsm("kmhsm")
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .build();
    vault = server.vault("kmvault");
    hsm = server.vault("kmhsm");
    keys = vault.keyManager();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void capabilities_softDeleteVault_allButDeleteVersion() {
    assertEquals(
        Set.of(Capability.SOFT_DELETE, Capability.VALIDITY, Capability.OPERATIONS, Capability.IMPORT),
        keys.capabilities());
    assertEquals(List.of(2048, 3072, 4096), keys.keySizes());
    assertEquals(vault.vaultUrl() + "/keys/named", keys.keyReference("named").toString());
  }

  @Test
  void createRotateList_versionsOldestFirst_describedFromTheVault() {
    KeyReference v1 = keys.createKey("km-rotate", 2048);
    KeyReference v2 = keys.rotateKey(v1.versionless());
    assertEquals(v2, vault.latestVersion("km-rotate"));
    List<KeyDescription> versions = keys.listVersions(v1);
    assertEquals(List.of(v1, v2), versions.stream().map(KeyDescription::reference).toList());
    KeyDescription d = versions.get(1);
    assertEquals(KeyType.RSA, d.keyType());
    assertEquals(2048, d.sizeBits());
    assertTrue(d.enabled());
    assertTrue(d.operations().containsAll(Set.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY)));
    assertTrue(d.vaultProtection().softDeleteEnabled());
    assertTrue(keys.listKeys().contains(v1.versionless()));
  }

  @Test
  void attributes_setThroughTheManager_areTheVaults() {
    KeyReference v1 = keys.createKey("km-attributes", 2048);
    keys.setEnabled(v1, false);
    assertFalse(vault.isEnabled(v1));
    keys.setExpiry(v1, NOW.plusSeconds(3600));
    keys.setNotBefore(v1, NOW.minusSeconds(60));
    keys.setOperations(v1, Set.of(KeyOperation.UNWRAP_KEY));
    KeyDescription d = keys.listVersions(v1).get(0);
    assertFalse(d.enabled());
    assertEquals(NOW.plusSeconds(3600), d.expiresOn());
    assertEquals(NOW.minusSeconds(60), d.notBefore());
    assertEquals(Set.of(KeyOperation.UNWRAP_KEY), d.operations());
  }

  @Test
  void managedHsm_keysAreRsaHsm() {
    KeyReference v1 = hsm.keyManager().createKey("km-hsm", 2048);
    assertEquals(KeyType.RSA_HSM, hsm.keyManager().listVersions(v1).get(0).keyType());
  }

  @Test
  void importKey_usesThePair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair pair = g.generateKeyPair();
    KeyReference v1 = keys.importKey("km-imported", pair);
    assertEquals(((RSAPublicKey) pair.getPublic()).getModulus(), vault.publicKey(v1).getModulus());
  }

  @Test
  void vocabulary_failures_areTheSpiExceptions() {
    KeyReference v1 = keys.createKey("km-vocabulary", 2048);
    assertThrows(IllegalStateException.class, () -> keys.createKey("km-vocabulary", 2048));
    assertThrows(IllegalArgumentException.class, () -> keys.createKey("km-bad-size", 1024));
    assertThrows(IllegalArgumentException.class, () -> keys.createKey("under_score", 2048));
    assertThrows(IllegalArgumentException.class, () -> keys.setEnabled(v1.versionless(), false));
    assertThrows(KeyNotFoundException.class, () -> keys.rotateKey(keys.keyReference("km-never")));
    assertThrows(
        KeyNotFoundException.class,
        () -> keys.setEnabled(v1.withVersion("0123456789abcdef0123456789abcdef"), false));
    assertThrows(
        KeyNotFoundException.class,
        () -> keys.rotateKey(hsm.keyManager().keyReference("km-vocabulary")),
        "another vault's key is not served");
    assertThrows(
        KeyNotFoundException.class,
        () -> keys.rotateKey(KeyReference.local("km-vocabulary", null)));
    assertThrows(IllegalStateException.class, () -> keys.recoverKey(v1), "not deleted");
  }

  @Test
  void deleteRecoverPurge_followTheVaultsSettings() {
    KeyReference v1 = keys.createKey("km-deleted", 2048);
    keys.deleteKey(v1);
    assertTrue(vault.isDeleted("km-deleted"));
    assertFalse(keys.listKeys().contains(v1.versionless()));
    assertThrows(KeyNotFoundException.class, () -> keys.listVersions(v1));
    assertThrows(IllegalStateException.class, () -> keys.createKey("km-deleted", 2048));
    DeletedKey deleted =
        keys.listDeletedKeys().stream()
            .filter(d -> d.key().name().equals("km-deleted"))
            .findFirst()
            .orElseThrow();
    assertEquals(NOW, deleted.deletedOn());
    assertEquals(NOW.plusSeconds(90L * 24 * 3600), deleted.scheduledPurge());
    assertEquals(1, deleted.versions());
    keys.recoverKey(v1);
    assertEquals(List.of(v1), keys.listVersions(v1).stream().map(KeyDescription::reference).toList());
    keys.deleteKey(v1);
    keys.purgeKey(v1);
    assertThrows(KeyNotFoundException.class, () -> keys.recoverKey(v1));
    assertThrows(KeyNotFoundException.class, () -> keys.purgeKey(v1));
  }

  @Test
  void purgeProtection_refusesPurge() {
    LoopbackKeyVault own = LoopbackKeyVault.builder().keyVault("kmprotected").build();
    try {
      LoopbackVault v = own.vault("kmprotected");
      v.setPurgeProtection(true);
      KeyManager m = v.keyManager();
      KeyReference v1 = m.createKey("km-protected", 2048);
      m.deleteKey(v1);
      assertThrows(IllegalStateException.class, () -> m.purgeKey(v1));
      m.recoverKey(v1);
    } finally {
      own.close();
    }
  }

  @Test
  void withoutSoftDelete_deleteIsFinalAndRecoverUnsupported() {
    LoopbackKeyVault own = LoopbackKeyVault.builder().keyVault("kmplain").build();
    try {
      LoopbackVault v = own.vault("kmplain");
      v.setSoftDelete(false, 90);
      KeyManager m = v.keyManager();
      assertFalse(m.capabilities().contains(Capability.SOFT_DELETE));
      KeyReference v1 = m.createKey("km-gone", 2048);
      m.deleteKey(v1);
      assertThrows(UnsupportedOperationException.class, () -> m.recoverKey(v1));
      assertEquals(List.of(), m.listDeletedKeys());
      assertEquals(List.of(), m.listKeys());
    } finally {
      own.close();
    }
  }
}
