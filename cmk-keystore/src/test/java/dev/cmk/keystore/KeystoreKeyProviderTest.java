package dev.cmk.keystore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.CmkException;
import dev.cmk.api.DeletedKey;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.VaultProtection;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.testkit.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeystoreKeyProviderTest {
  private static final String PASSWORD = "s3cret-Keystore-Passw0rd";
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;

  private final ManualClock clock = ManualClock.startingAt(Instant.parse("2025-01-01T00:00:00Z"));

  private KeystoreKeyProvider open(Path file) {
    return KeystoreKeyProvider.builder()
        .path(file)
        .password(PASSWORD::toCharArray)
        .clock(clock)
        .create(true)
        .build();
  }

  /** The provider's key manager, which the keystore always has. */
  private static KeyManager keys(KeystoreKeyProvider p) {
    return p.keyManager().orElseThrow();
  }

  /** Building a creating provider with this password source fails with this exception. */
  private IllegalStateException buildFails(UnaryOperator<KeystoreKeyProviderBuilder> password) {
    return assertThrows(
        IllegalStateException.class,
        () -> password.apply(KeystoreKeyProvider.builder().path(keystore())).create(true).build());
  }

  private Path keystore() {
    return dir.resolve("keys.p12");
  }

  private static SecretBytes dataKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return SecretBytes.wrapOwned(b);
  }

  // ------------------------------------------------------------------------ persistence

  @Test
  void newInstance_sameFile_seesKeysVersionsAndAttributes() {
    KeystoreKeyProvider first = open(keystore());
    KeyReference v1 = keys(first).createKey("patient-data", 2048);
    KeyReference v2 = keys(first).rotateKey(v1);
    keys(first).setEnabled(v1, false);
    keys(first).setExpiry(v2, Instant.parse("2030-01-01T00:00:00Z"));
    SecretBytes dataKey = dataKey();
    WrappedKey wrapped = first.wrap(v2, dataKey);

    KeystoreKeyProvider second = open(keystore());
    List<KeyDescription> versions = keys(second).listVersions(v1.versionless());
    assertEquals(List.of(v1, v2), versions.stream().map(KeyDescription::reference).toList());
    assertFalse(versions.get(0).enabled());
    assertTrue(versions.get(1).enabled());
    assertEquals(Instant.parse("2030-01-01T00:00:00Z"), versions.get(1).expiresOn());
    assertEquals(v2, second.resolveLatest(v1.versionless()));
    assertArrayEquals(dataKey.copy(), second.unwrap(wrapped).copy());
  }

  @Test
  void describe_newKey_reportsRsaAndVaultProtectionPresetsAccept() {
    KeystoreKeyProvider p = open(keystore());
    KeyReference v1 = keys(p).createKey("fhir-key", 3072);
    KeyDescription d = p.describe(v1.versionless());
    assertEquals(KeyType.RSA, d.keyType());
    assertEquals(3072, d.sizeBits());
    assertEquals(KeystoreKeyProvider.DEFAULT_OPERATIONS, d.operations());
    assertEquals(new VaultProtection(true, true, 90, null), d.vaultProtection());
    assertEquals(p.vaultProtection(), d.vaultProtection());
  }

  @Test
  void versions_afterRotations_sortInCreationOrder() {
    KeystoreKeyProvider p = open(keystore());
    KeyReference v = keys(p).createKey("sorted", 2048);
    for (int i = 0; i < 3; i++) {
      v = keys(p).rotateKey(v);
    }
    List<String> versions =
        keys(p).listVersions(v).stream().map(KeyDescription::version).collect(Collectors.toList());
    List<String> sorted = new ArrayList<>(versions);
    Collections.sort(sorted);
    assertEquals(sorted, versions);
    assertEquals(v.version().orElseThrow(), versions.get(versions.size() - 1));
  }

  @Test
  void writes_leaveNoTemporaryFilesAndOwnerOnlyPermissions() throws IOException {
    KeystoreKeyProvider p = open(keystore());
    KeyReference v = keys(p).createKey("tidy", 2048);
    keys(p).rotateKey(v);
    keys(p).setEnabled(v, false);
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(
          Set.of("keys.p12", "keys.p12.lock"),
          files.map(f -> f.getFileName().toString()).collect(Collectors.toSet()));
    }
    if (Files.getFileAttributeView(keystore(), java.nio.file.attribute.PosixFileAttributeView.class)
        != null) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keystore())));
    }
  }

  @Test
  void file_isStandardPkcs12ReadableByTheJdk() throws Exception {
    KeystoreKeyProvider p = open(keystore());
    keys(p).createKey("interop", 2048);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(keystore())) {
      ks.load(in, PASSWORD.toCharArray());
    }
    long keyEntries =
        Collections.list(ks.aliases()).stream()
            .filter(a -> a.startsWith("kek-"))
            .filter(
                a -> {
                  try {
                    return ks.entryInstanceOf(a, KeyStore.PrivateKeyEntry.class);
                  } catch (Exception e) {
                    return false;
                  }
                })
            .count();
    assertEquals(1, keyEntries);
  }

  // --------------------------------------------------------------- change detection

  @Test
  void unwrap_versionDisabledByAnotherInstance_isRefusedAtNextCall() {
    KeystoreKeyProvider service = open(keystore());
    KeystoreKeyProvider admin = open(keystore());
    KeyReference v1 = keys(admin).createKey("shared", 2048);
    SecretBytes dataKey = dataKey();
    WrappedKey wrapped = service.wrap(v1, dataKey);
    assertArrayEquals(dataKey.copy(), service.unwrap(wrapped).copy());

    keys(admin).setEnabled(v1, false);
    KeyAccessDeniedException denied =
        assertThrows(KeyAccessDeniedException.class, () -> service.unwrap(wrapped));
    assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, denied.reason());
    assertEquals(
        KeyAccessDeniedException.Reason.KEY_DISABLED,
        assertThrows(KeyAccessDeniedException.class, () -> service.wrap(v1, dataKey)).reason());
    assertFalse(service.describe(v1).enabled(), "describe works on a disabled key");

    keys(admin).setEnabled(v1, true);
    assertArrayEquals(dataKey.copy(), service.unwrap(wrapped).copy());
  }

  @Test
  void resolveLatest_rotatedByAnotherInstance_followsRotation() {
    KeystoreKeyProvider service = open(keystore());
    KeystoreKeyProvider admin = open(keystore());
    KeyReference v1 = keys(admin).createKey("rotating", 2048);
    assertEquals(v1, service.resolveLatest(v1.versionless()));
    KeyReference v2 = keys(admin).rotateKey(v1);
    assertEquals(v2, service.resolveLatest(v1.versionless()));
    assertTrue(service.publicKey(v2).isPresent());
  }

  @Test
  void describe_keyDeletedByAnotherInstance_isNotFound() {
    KeystoreKeyProvider service = open(keystore());
    KeystoreKeyProvider admin = open(keystore());
    KeyReference v1 = keys(admin).createKey("going", 2048);
    assertTrue(service.describe(v1).enabled());
    keys(admin).deleteKey(v1);
    assertThrows(KeyNotFoundException.class, () -> service.describe(v1));
  }

  @Test
  void concurrentWriters_twoInstancesCreatingKeys_loseNoUpdate() throws Exception {
    KeystoreKeyProvider a = open(keystore());
    KeystoreKeyProvider b = open(keystore());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<KeyReference>> created = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        KeystoreKeyProvider p = i % 2 == 0 ? a : b;
        String name = "parallel-" + i;
        created.add(pool.submit(() -> keys(p).createKey(name, 2048)));
      }
      for (Future<KeyReference> f : created) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    KeystoreKeyProvider fresh = open(keystore());
    assertEquals(8, keys(fresh).listKeys().size());
    assertEquals(8, keys(a).listKeys().size());
  }

  // ------------------------------------------------------------- soft delete, purge

  @Test
  void delete_thenRecover_restoresAllVersionsAndAttributes() {
    KeystoreKeyProvider p = open(keystore());
    KeyReference v1 = keys(p).createKey("recoverable", 2048);
    KeyReference v2 = keys(p).rotateKey(v1);
    keys(p).setEnabled(v1, false);
    WrappedKey wrapped = p.wrap(v2, dataKey());
    keys(p).deleteKey(v1.versionless());

    assertThrows(KeyNotFoundException.class, () -> p.describe(v2));
    assertThrows(KeyNotFoundException.class, () -> p.unwrap(wrapped));
    assertTrue(keys(p).listKeys().isEmpty());
    List<DeletedKey> deleted = keys(p).listDeletedKeys();
    assertEquals(1, deleted.size());
    assertEquals(clock.instant().plus(Duration.ofDays(90)), deleted.get(0).scheduledPurge());
    assertThrows(IllegalStateException.class, () -> keys(p).createKey("recoverable", 2048));

    keys(p).recoverKey(v1);
    assertFalse(p.describe(v1).enabled());
    assertEquals(v2, p.resolveLatest(v1));
    p.unwrap(wrapped);
  }

  @Test
  void purge_withPurgeProtectionBeforeRetentionEnds_isRefused() {
    KeystoreKeyProvider p = open(keystore());
    KeyReference v1 = keys(p).createKey("protected", 2048);
    keys(p).deleteKey(v1);
    clock.advance(Duration.ofDays(89));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> keys(p).purgeKey(v1));
    assertTrue(e.getMessage().contains("purge protection"), e.getMessage());
    keys(p).recoverKey(v1); // still recoverable
    assertTrue(p.describe(v1).enabled());
  }

  @Test
  void retentionOver_deletedKey_isGoneAndNameReusable() {
    KeystoreKeyProvider p = open(keystore());
    KeyReference v1 = keys(p).createKey("expiring", 2048);
    keys(p).deleteKey(v1);
    clock.advance(Duration.ofDays(90));
    assertTrue(keys(p).listDeletedKeys().isEmpty());
    assertThrows(KeyNotFoundException.class, () -> keys(p).recoverKey(v1));
    keys(p).purgeKey(v1); // allowed: retention is over
    assertThrows(KeyNotFoundException.class, () -> keys(p).purgeKey(v1));
    KeyReference again = keys(p).createKey("expiring", 2048);
    assertFalse(again.equals(v1), "a new key gets a new version");
  }

  @Test
  void purge_withoutPurgeProtection_removesAtOnce() {
    KeystoreKeyProvider p =
        KeystoreKeyProvider.builder()
            .path(keystore())
            .password(PASSWORD::toCharArray)
            .clock(clock)
            .create(true)
            .retentionDays(7)
            .withoutPurgeProtection()
            .build();
    assertEquals(new VaultProtection(true, false, 7, null), p.vaultProtection());
    KeyReference v1 = keys(p).createKey("purgeable", 2048);
    assertThrows(IllegalStateException.class, () -> keys(p).purgeKey(v1), "not deleted yet");
    keys(p).deleteKey(v1);
    keys(p).purgeKey(v1);
    assertThrows(KeyNotFoundException.class, () -> keys(p).recoverKey(v1));
    assertTrue(keys(p).listDeletedKeys().isEmpty());
  }

  @Test
  void protectionSettings_existingKeystore_keepTheirCreationValues() {
    keys(open(keystore())).createKey("first", 2048);
    KeystoreKeyProvider p =
        KeystoreKeyProvider.builder()
            .path(keystore())
            .password(PASSWORD::toCharArray)
            .withoutPurgeProtection()
            .retentionDays(7)
            .build();
    assertEquals(new VaultProtection(true, true, 90, null), p.vaultProtection());
  }

  // ------------------------------------------------------------- validity, operations

  @Test
  void wrapUnwrap_outsideValidityWindow_deniedNotValidNow() {
    KeystoreKeyProvider p = open(keystore());
    KeyReference v1 = keys(p).createKey("window", 2048);
    WrappedKey wrapped = p.wrap(v1, dataKey());
    keys(p).setNotBefore(v1, clock.instant().plus(Duration.ofHours(1)));
    assertEquals(
        KeyAccessDeniedException.Reason.KEY_NOT_VALID_NOW,
        assertThrows(KeyAccessDeniedException.class, () -> p.unwrap(wrapped)).reason());
    clock.advance(Duration.ofHours(1));
    p.unwrap(wrapped);
    keys(p).setExpiry(v1, clock.instant().plus(Duration.ofMinutes(5)));
    clock.advance(Duration.ofMinutes(5));
    assertEquals(
        KeyAccessDeniedException.Reason.KEY_NOT_VALID_NOW,
        assertThrows(KeyAccessDeniedException.class, () -> p.wrap(v1, dataKey())).reason());
  }

  @Test
  void unwrap_operationRemoved_deniedOperationNotPermitted() {
    KeystoreKeyProvider p = open(keystore());
    KeyReference v1 = keys(p).createKey("ops", 2048);
    WrappedKey wrapped = p.wrap(v1, dataKey());
    keys(p).setOperations(v1, Set.of(KeyOperation.WRAP_KEY));
    assertEquals(
        KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED,
        assertThrows(KeyAccessDeniedException.class, () -> p.unwrap(wrapped)).reason());
    p.wrap(v1, dataKey());
  }

  @Test
  void createKey_unsupportedSize_throwsIllegalArgument() {
    KeystoreKeyProvider p = open(keystore());
    assertThrows(IllegalArgumentException.class, () -> keys(p).createKey("small", 1024));
    assertThrows(IllegalArgumentException.class, () -> keys(p).createKey("odd", 2047));
    assertThrows(IllegalStateException.class, () -> {
      keys(p).createKey("twice", 2048);
      keys(p).createKey("twice", 2048);
    });
  }

  @Test
  void importKey_1024BitPair_isDescribedWithItsSize() throws Exception {
    KeystoreKeyProvider p = open(keystore());
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(1024);
    KeyReference weak = keys(p).importKey("legacy", g.generateKeyPair());
    assertEquals(1024, p.describe(weak).sizeBits());
    SecretBytes dataKey = dataKey();
    assertArrayEquals(dataKey.copy(), p.unwrap(p.wrap(weak, dataKey)).copy());
  }

  // ------------------------------------------------------------- errors, secrets

  @Test
  void build_wrongPassword_deniedWithoutPasswordInMessage() {
    keys(open(keystore())).createKey("k", 2048);
    String wrong = "Wrong-Password-123";
    KeyAccessDeniedException e =
        assertThrows(
            KeyAccessDeniedException.class,
            () ->
                KeystoreKeyProvider.builder()
                    .path(keystore())
                    .password(wrong::toCharArray)
                    .build());
    assertEquals(KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED, e.reason());
    assertTrue(e.getMessage().contains("wrong password"), e.getMessage());
    for (Throwable t = e; t != null; t = t.getCause()) {
      assertFalse(String.valueOf(t.getMessage()).contains(wrong));
      assertFalse(String.valueOf(t.getMessage()).contains(PASSWORD));
    }
  }

  @Test
  void passwordFile_trailingNewline_opensAndNeverAppearsInToString() throws IOException {
    Path pw = dir.resolve("password.txt");
    Files.writeString(pw, PASSWORD + "\n");
    KeystoreKeyProvider p =
        KeystoreKeyProvider.builder().path(keystore()).passwordFile(pw).create(true).build();
    keys(p).createKey("from-file", 2048);
    assertFalse(p.toString().contains(PASSWORD));
    assertTrue(p.toString().contains("keys=1"), p.toString());
    open(keystore()); // same password through a callback
  }

  @Test
  void passwordFile_missing_failsNamingTheFileOnly() {
    Path missing = dir.resolve("no-such-password");
    IllegalStateException e = buildFails(b -> b.passwordFile(missing));
    assertTrue(e.getMessage().contains("no-such-password"), e.getMessage());
  }

  @Test
  void build_missingFileWithoutCreate_throwsIllegalState() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                KeystoreKeyProvider.builder()
                    .path(keystore())
                    .password(PASSWORD::toCharArray)
                    .build());
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    assertFalse(Files.exists(keystore()));
  }

  @Test
  void build_notAKeystore_unavailable() throws IOException {
    Files.writeString(keystore(), "this is not PKCS#12");
    assertThrows(KeyProviderUnavailableException.class, () -> open(keystore()));
  }

  @Test
  void build_plainPkcs12WithoutMetadata_unavailableNamingTheProblem() throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    try (var out = Files.newOutputStream(keystore())) {
      ks.store(out, PASSWORD.toCharArray());
    }
    KeyProviderUnavailableException e =
        assertThrows(KeyProviderUnavailableException.class, () -> open(keystore()));
    assertTrue(e.getMessage().contains("not a cmk keystore"), e.getMessage());
  }

  @Test
  void reload_fileAlteredOnDisk_failsWithCmkExceptionNotGarbage() throws IOException {
    KeystoreKeyProvider p = open(keystore());
    KeyReference v1 = keys(p).createKey("tampered", 2048);
    byte[] bytes = Files.readAllBytes(keystore());
    bytes[bytes.length - 10] ^= 0x01; // inside the MAC value
    Files.write(keystore(), bytes);
    CmkException e = assertThrows(CmkException.class, () -> p.describe(v1));
    assertTrue(
        e instanceof KeyAccessDeniedException || e instanceof KeyProviderUnavailableException,
        e.toString());
  }

  @Test
  void builder_settingTwiceOrMissingRequired_throwsIllegalState() {
    assertThrows(
        IllegalStateException.class,
        () -> KeystoreKeyProvider.builder().path(keystore()).path(keystore()));
    assertThrows(
        IllegalStateException.class,
        () -> KeystoreKeyProvider.builder().password(PASSWORD::toCharArray).passwordEnvironment("X"));
    assertThrows(
        IllegalStateException.class,
        () -> KeystoreKeyProvider.builder().password(PASSWORD::toCharArray).build());
    assertThrows(IllegalStateException.class, () -> KeystoreKeyProvider.builder().path(keystore()).build());
    assertThrows(NullPointerException.class, () -> KeystoreKeyProvider.builder().path(null));
    assertThrows(IllegalArgumentException.class, () -> KeystoreKeyProvider.builder().retentionDays(3));
  }

  @Test
  void serves_nonLocalReference_falseAndNotFound() {
    KeystoreKeyProvider p = open(keystore());
    KeyReference azure = KeyReference.parse("https://myvault.vault.azure.net/keys/k");
    assertFalse(p.serves(azure));
    assertThrows(KeyNotFoundException.class, () -> p.describe(azure));
  }

  // ------------------------------------------------------------- key manager, SPI rules

  @Test
  void keyManager_capabilitiesAndSizes_describeTheKeystore() {
    KeyManager m = keys(open(keystore()));
    assertEquals(
        Set.of(
            KeyManager.Capability.SOFT_DELETE,
            KeyManager.Capability.VALIDITY,
            KeyManager.Capability.OPERATIONS,
            KeyManager.Capability.IMPORT),
        m.capabilities());
    assertEquals(List.of(2048, 3072, 4096), m.keySizes());
    assertEquals(KeyReference.local("named", null), m.keyReference("named"));
    assertThrows(UnsupportedOperationException.class, () -> m.deleteVersion(
        KeyReference.local("named", "v1")));
  }

  @Test
  void keyManager_listKeys_sortedByNameWithoutDeleted() {
    KeystoreKeyProvider p = open(keystore());
    keys(p).createKey("zeta", 2048);
    keys(p).createKey("alpha", 2048);
    KeyReference gone = keys(p).createKey("middle", 2048);
    keys(p).deleteKey(gone);
    assertEquals(
        List.of(KeyReference.local("alpha", null), KeyReference.local("zeta", null)),
        keys(p).listKeys());
    assertEquals(
        List.of(KeyReference.local("middle", null)),
        keys(p).listDeletedKeys().stream().map(DeletedKey::key).toList());
  }

  @Test
  void keyManager_unservedReference_keyNotFound() {
    KeyManager m = keys(open(keystore()));
    KeyReference pkcs11 = KeyReference.parse("pkcs11:token=t;object=k;id=v1");
    assertThrows(KeyNotFoundException.class, () -> m.rotateKey(pkcs11));
    assertThrows(KeyNotFoundException.class, () -> m.setEnabled(pkcs11, false));
    assertThrows(KeyNotFoundException.class, () -> m.deleteKey(pkcs11));
    assertThrows(KeyNotFoundException.class, () -> m.purgeKey(pkcs11));
    assertThrows(KeyNotFoundException.class, () -> m.listVersions(pkcs11));
    assertThrows(
        IllegalArgumentException.class, () -> m.setEnabled(KeyReference.local("k", null), false));
  }

  @Test
  void unwrap_wrappedKeyNamingAnotherProvider_keyNotFound() {
    KeystoreKeyProvider p = open(keystore());
    KeyReference v1 = keys(p).createKey("own", 2048);
    WrappedKey real = p.wrap(v1, dataKey());
    WrappedKey relabelled =
        new WrappedKey("in-memory", v1, real.algorithm(), real.ciphertext());
    assertThrows(KeyNotFoundException.class, () -> p.unwrap(relabelled));
  }

  @Test
  void passwordEnvironment_unset_failsNamingKeystorePasswordAndVariable() {
    IllegalStateException e =
        buildFails(b -> b.passwordEnvironment("CMK_TEST_SURELY_UNSET_KEYSTORE_VARIABLE"));
    assertEquals(
        "keystore password environment variable CMK_TEST_SURELY_UNSET_KEYSTORE_VARIABLE is not"
            + " set or empty",
        e.getMessage());
  }
}
