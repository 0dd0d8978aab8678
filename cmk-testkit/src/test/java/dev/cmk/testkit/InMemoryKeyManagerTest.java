package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.DeletedKey;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.VaultProtection;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.api.spi.KeyManager.Capability;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** InMemoryKeyProvider's KeyManager: the one lifecycle vocabulary of cmk-api, on the same keys. */
class InMemoryKeyManagerTest {
  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
  private final KeyManager keys = provider.keyManager().orElseThrow();

  @Test
  void keyManager_defaultProtection_hasSoftDeleteValidityOperationsImport() {
    assertEquals(
        Set.of(Capability.SOFT_DELETE, Capability.VALIDITY, Capability.OPERATIONS, Capability.IMPORT),
        keys.capabilities());
    assertEquals(List.of(1024, 2048, 3072, 4096), keys.keySizes());
    assertEquals(KeyReference.local("k", null), keys.keyReference("k"));
  }

  @Test
  void createKeyAndRotateKey_latestIsTheNewestAndBothUnwrap() {
    KeyReference v1 = keys.createKey("rotating", 2048);
    SecretBytes dataKey = SecretBytes.copyOf(new byte[32]);
    var wrappedUnderV1 = provider.wrap(v1, dataKey);
    KeyReference v2 = keys.rotateKey(v1.versionless());
    assertEquals(v2, provider.resolveLatest(v1.versionless()));
    List<KeyDescription> versions = keys.listVersions(v1);
    assertEquals(List.of(v1, v2), versions.stream().map(KeyDescription::reference).toList());
    assertEquals(dataKey, provider.unwrap(wrappedUnderV1));
    assertEquals(List.of(v1.versionless()), keys.listKeys());
  }

  @Test
  void setEnabled_false_providerRefusesWrapAsDisabled() {
    KeyReference v1 = keys.createKey("disabled", 2048);
    keys.setEnabled(v1, false);
    KeyAccessDeniedException e =
        assertThrows(
            KeyAccessDeniedException.class,
            () -> provider.wrap(v1, SecretBytes.copyOf(new byte[32])));
    assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, e.reason());
    keys.setEnabled(v1, true);
    provider.wrap(v1, SecretBytes.copyOf(new byte[32]));
  }

  @Test
  void setExpiryAndOperations_areSeenByDescribe() {
    KeyReference v1 = keys.createKey("attributes", 2048);
    keys.setExpiry(v1, clock.instant().plus(Duration.ofDays(1)));
    keys.setOperations(v1, Set.of(KeyOperation.UNWRAP_KEY));
    KeyDescription d = provider.describe(v1);
    assertEquals(clock.instant().plus(Duration.ofDays(1)), d.expiresOn());
    assertEquals(Set.of(KeyOperation.UNWRAP_KEY), d.operations());
  }

  @Test
  void vocabulary_failures_areTheSpiExceptions() {
    KeyReference v1 = keys.createKey("vocabulary", 2048);
    assertThrows(IllegalStateException.class, () -> keys.createKey("vocabulary", 2048));
    assertThrows(IllegalArgumentException.class, () -> keys.createKey("vocabulary-2", 1000));
    assertThrows(IllegalArgumentException.class, () -> keys.setEnabled(v1.versionless(), false));
    assertThrows(KeyNotFoundException.class, () -> keys.rotateKey(keys.keyReference("never")));
    assertThrows(
        KeyNotFoundException.class,
        () -> keys.rotateKey(KeyReference.parse("pkcs11:token=t;object=vocabulary")));
    assertThrows(IllegalStateException.class, () -> keys.recoverKey(v1), "not deleted");
  }

  @Test
  void importKey_mismatchedPair_throwsIllegalArgument() {
    KeyPair mixed =
        new KeyPair(TestKeyPairs.rsa2048().getPublic(), TestKeyPairs.otherRsa(2048).getPrivate());
    assertThrows(IllegalArgumentException.class, () -> keys.importKey("mixed", mixed));
    KeyReference v1 = keys.importKey("imported", TestKeyPairs.rsa2048());
    assertEquals(TestKeyPairs.rsa2048().getPublic(), provider.publicKey(v1).orElseThrow());
  }

  @Test
  void deleteKey_listsAsDeleted_recoverKeyRestores_purgeRefusedByPurgeProtection() {
    KeyReference v1 = keys.createKey("deleted", 2048);
    keys.rotateKey(v1);
    keys.deleteKey(v1);
    assertEquals(List.of(), keys.listKeys());
    assertThrows(KeyNotFoundException.class, () -> provider.describe(v1));
    List<DeletedKey> deleted = keys.listDeletedKeys();
    assertEquals(1, deleted.size());
    assertEquals(v1.versionless(), deleted.get(0).key());
    assertEquals(2, deleted.get(0).versions());
    assertEquals(clock.instant().plus(Duration.ofDays(90)), deleted.get(0).scheduledPurge());
    assertThrows(IllegalStateException.class, () -> keys.purgeKey(v1), "purge protection");
    keys.recoverKey(v1);
    assertEquals(List.of(v1.versionless()), keys.listKeys());
    assertEquals(List.of(), keys.listDeletedKeys());
  }

  @Test
  void withoutSoftDelete_deleteIsFinalAndRecoverUnsupported() {
    InMemoryKeyProvider plain =
        InMemoryKeyProvider.builder().vaultProtection(VaultProtection.none()).build();
    KeyManager m = plain.keyManager().orElseThrow();
    assertFalse(m.capabilities().contains(Capability.SOFT_DELETE));
    KeyReference v1 = m.createKey("gone", 2048);
    m.deleteKey(v1);
    assertEquals(List.of(), m.listDeletedKeys());
    assertThrows(UnsupportedOperationException.class, () -> m.recoverKey(v1));
    assertThrows(UnsupportedOperationException.class, () -> m.purgeKey(v1));
    assertThrows(KeyNotFoundException.class, () -> plain.describe(v1));
    assertTrue(m.listKeys().isEmpty());
  }
}
