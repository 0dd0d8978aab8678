package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.credential.AccessToken;
import com.azure.security.keyvault.keys.KeyServiceVersion;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.VaultProtection;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.RecordedRequest;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Mono;

/** The provider with the real Azure SDK over HTTPS against the loopback Key Vault. */
class AzureKeyVaultProviderIT {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static LoopbackKeyVault server;
  private static LoopbackVault vault;
  private static LoopbackVault protectedVault;
  private static LoopbackVault hsm;
  private static VaultIdentity app;

  @BeforeAll
  static void setUp() {
    server = LoopbackFixture.server();
    vault = server.vault(LoopbackFixture.VAULT);
    protectedVault = server.vault(LoopbackFixture.PROTECTED_VAULT);
    hsm = server.vault(LoopbackFixture.HSM);
    app = server.createApplication("provider-it");
    for (LoopbackVault v : List.of(vault, protectedVault, hsm)) {
      v.grant(app, KeyPermission.GET, KeyPermission.LIST, KeyPermission.WRAP_KEY, KeyPermission.UNWRAP_KEY);
    }
  }

  private static AzureKeyVaultProvider provider() {
    return LoopbackFixture.providerBuilder().credential(LoopbackFixture.staticCredential(app)).build();
  }

  private static String name(String prefix) {
    return prefix + "-" + HexFormat.of().toHexDigits(RANDOM.nextInt());
  }

  private static SecretBytes dataKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return SecretBytes.wrapOwned(b);
  }

  private static long authenticatedRequests(LoopbackVault v) {
    return v.requests().stream().filter(RecordedRequest::authenticated).count();
  }

  // ------------------------------------------------------------------ round trips

  static Stream<Arguments> keys() {
    return Stream.of(
        Arguments.of(LoopbackFixture.VAULT, "RSA", 2048),
        Arguments.of(LoopbackFixture.VAULT, "RSA", 3072),
        Arguments.of(LoopbackFixture.VAULT, "RSA-HSM", 2048),
        Arguments.of(LoopbackFixture.VAULT, "RSA-HSM", 3072),
        Arguments.of(LoopbackFixture.HSM, "RSA-HSM", 2048),
        Arguments.of(LoopbackFixture.HSM, "RSA-HSM", 3072));
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("keys")
  void wrapUnwrap_rsaAndRsaHsmKeys_roundTrip(String vaultName, String kty, int size) {
    LoopbackVault v = server.vault(vaultName);
    String keyName = name("roundtrip");
    KeyReference version = kty.equals("RSA") ? v.createRsaKey(keyName, size) : v.createRsaHsmKey(keyName, size);
    try (AzureKeyVaultProvider p = provider()) {
      KeyReference latest = p.resolveLatest(version.versionless());
      assertEquals(version, latest);
      SecretBytes dataKey = dataKey();
      WrappedKey wrapped = p.wrap(latest, dataKey);
      assertEquals(AzureKeyVaultProvider.ID, wrapped.providerId());
      assertEquals(WrapAlgorithm.RSA_OAEP_256, wrapped.algorithm());
      assertEquals(size / 8, wrapped.ciphertextLength());
      assertArrayEquals(dataKey.copy(), p.unwrap(wrapped).copy());
      KeyDescription d = p.describe(latest);
      assertEquals(kty.equals("RSA") ? KeyType.RSA : KeyType.RSA_HSM, d.keyType());
      assertEquals(size, d.sizeBits());
    }
  }

  @ParameterizedTest
  @EnumSource(value = KeyServiceVersion.class, names = {"V7_4", "V7_5", "V7_6"})
  void wrapUnwrap_serviceVersions7_4To7_6_roundTripWithThatApiVersion(KeyServiceVersion version) {
    KeyReference key = vault.createRsaKey(name("apiversion"), 2048);
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder()
            .credential(LoopbackFixture.staticCredential(app))
            .serviceVersion(version)
            .build()) {
      vault.clearRequests();
      SecretBytes dataKey = dataKey();
      assertArrayEquals(dataKey.copy(), p.unwrap(p.wrap(p.resolveLatest(key.versionless()), dataKey)).copy());
      List<RecordedRequest> requests = vault.requests();
      assertFalse(requests.isEmpty());
      for (RecordedRequest r : requests) {
        assertEquals(version.getVersion(), r.apiVersion(), r.toString());
      }
    }
  }

  // ------------------------------------------------------------------ describe

  @Test
  void describe_keyVaultKey_mapsEveryField() {
    String keyName = name("describe");
    KeyReference version = protectedVault.createRsaHsmKey(keyName, 3072);
    Instant nbf = Instant.now().minus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    Instant exp = Instant.now().plus(365, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    protectedVault.keyManager().setNotBefore(version, nbf);
    protectedVault.keyManager().setExpiry(version, exp);
    protectedVault.keyManager().setOperations(version, EnumSet.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY, KeyOperation.VERIFY));
    try (AzureKeyVaultProvider p = provider()) {
      KeyDescription d = p.describe(version.versionless());
      assertEquals(version, d.reference());
      assertEquals(version.version().orElseThrow(), d.version());
      assertEquals(KeyType.RSA_HSM, d.keyType());
      assertEquals(3072, d.sizeBits());
      assertTrue(d.enabled());
      assertEquals(nbf, d.notBefore());
      assertEquals(exp, d.expiresOn());
      assertEquals(Set.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY, KeyOperation.VERIFY), d.operations());
      assertEquals(new VaultProtection(true, true, 90, "Recoverable"), d.vaultProtection());
      assertTrue(d.isUsableAt(Instant.now()));
    }
  }

  @Test
  void describe_managedHsmKey_isHsmWithSoftDeleteAndPurgeProtectionAsConfigured() {
    KeyReference version = hsm.createRsaHsmKey(name("hsm"), 2048);
    try (AzureKeyVaultProvider p = provider()) {
      KeyDescription d = p.describe(version);
      assertEquals(KeyReference.Kind.AZURE_MANAGED_HSM, d.reference().kind());
      assertEquals(KeyType.RSA_HSM, d.keyType());
      assertEquals(new VaultProtection(true, false, 90, "Recoverable+Purgeable"), d.vaultProtection());
      hsm.setPurgeProtection(true);
      try {
        assertEquals(new VaultProtection(true, true, 90, "Recoverable"), p.describe(version).vaultProtection());
      } finally {
        hsm.setPurgeProtection(false);
      }
    }
  }

  @Test
  void describe_vaultSettings_mapRecoveryLevelToVaultProtection() {
    KeyReference version = vault.createRsaKey(name("levels"), 2048);
    try (AzureKeyVaultProvider p = provider()) {
      assertEquals(new VaultProtection(true, false, 90, "Recoverable+Purgeable"), p.describe(version).vaultProtection());
      vault.setSoftDelete(true, 7);
      assertEquals(
          new VaultProtection(true, false, 7, "CustomizedRecoverable+Purgeable"), p.describe(version).vaultProtection());
      vault.setPurgeProtection(true);
      vault.setProtectedSubscription(true);
      assertEquals(
          new VaultProtection(true, true, 7, "CustomizedRecoverable+ProtectedSubscription"),
          p.describe(version).vaultProtection());
      vault.setProtectedSubscription(false);
      vault.setPurgeProtection(false);
      vault.setSoftDelete(false, 90);
      assertEquals(new VaultProtection(false, false, 0, "Purgeable"), p.describe(version).vaultProtection());
    } finally {
      vault.setSoftDelete(true, 90);
    }
  }

  @Test
  void describe_disabledVersion_reportsDisabledWithEarlierReadFields() {
    KeyReference v1 = vault.createRsaKey(name("disabled-describe"), 3072);
    KeyReference v2 = vault.rotateKey(v1.name());
    try (AzureKeyVaultProvider p = provider()) {
      p.describe(v1);
      vault.keyManager().setEnabled(v1, false);
      KeyDescription d = p.describe(v1);
      assertFalse(d.enabled());
      assertEquals(v1, d.reference());
      assertEquals(KeyType.RSA, d.keyType());
      assertEquals(3072, d.sizeBits());
      assertFalse(d.isUsableAt(Instant.now()));
      vault.keyManager().setEnabled(v2, false);
      KeyDescription latest = p.describe(v1.versionless());
      assertEquals(v2, latest.reference(), "a disabled latest version is still the latest");
      assertFalse(latest.enabled());
      assertEquals(KeyType.OTHER, latest.keyType(), "never read while enabled");
    }
  }

  @Test
  void describe_disabledVersionWithoutListPermission_throwsKeyDisabled() {
    VaultIdentity noList = server.createApplication("no-list");
    vault.grant(noList, KeyPermission.GET, KeyPermission.UNWRAP_KEY);
    KeyReference version = vault.createRsaKey(name("no-list"), 2048);
    vault.keyManager().setEnabled(version, false);
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder().credential(LoopbackFixture.staticCredential(noList)).build()) {
      KeyAccessDeniedException e = assertThrows(KeyAccessDeniedException.class, () -> p.describe(version));
      assertEquals(Reason.KEY_DISABLED, e.reason());
    }
  }

  @Test
  void describe_unknownKey_throwsKeyNotFound() {
    try (AzureKeyVaultProvider p = provider()) {
      KeyReference unknown = KeyReference.parse(vault.vaultUrl() + "/keys/" + name("never"));
      assertThrows(KeyNotFoundException.class, () -> p.describe(unknown));
    }
  }

  // ------------------------------------------------------------------ versions

  @Test
  void resolveLatest_versionlessReference_followsRotation() {
    KeyReference v1 = vault.createRsaKey(name("rotate"), 2048);
    try (AzureKeyVaultProvider p = provider()) {
      assertEquals(v1, p.resolveLatest(v1.versionless()));
      WrappedKey underV1 = p.wrap(p.resolveLatest(v1.versionless()), dataKey());
      KeyReference v2 = vault.rotateKey(v1.name());
      KeyReference latest = p.resolveLatest(v1.versionless());
      assertEquals(v2, latest);
      WrappedKey underV2 = p.wrap(latest, dataKey());
      assertEquals(v2, underV2.keyReference());
      assertEquals(v1, underV1.keyReference());
      p.unwrap(underV1);
      p.unwrap(underV2);
    }
  }

  // ------------------------------------------------------------------ local wrap and its guards

  @Test
  void wrap_repeatedOnOneVersion_readsKeyOnceAndWrapsLocally() {
    KeyReference version = vault.createRsaKey(name("local"), 2048);
    try (AzureKeyVaultProvider p = provider()) {
      vault.clearRequests();
      for (int i = 0; i < 20; i++) {
        p.wrap(version, dataKey());
      }
      assertEquals(1, authenticatedRequests(vault), vault.requests().toString());
      assertTrue(p.publicKey(version).isPresent());
      assertEquals(1, authenticatedRequests(vault), "the public key is cached with the version");
    }
  }

  @Test
  void wrap_disabledVersion_refusedOnceEnabledStateTtlExpires() {
    ManualClock clock = ManualClock.startingAt(Instant.now());
    KeyReference version = vault.createRsaKey(name("ttl"), 2048);
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder()
            .credential(LoopbackFixture.staticCredential(app))
            .clock(clock)
            .enabledStateTtl(Duration.ofSeconds(30))
            .build()) {
      p.wrap(version, dataKey());
      vault.keyManager().setEnabled(version, false);
      clock.advance(Duration.ofSeconds(29));
      p.wrap(version, dataKey()); // within the TTL: documented window, Key Vault allows it too
      clock.advance(Duration.ofSeconds(2));
      KeyAccessDeniedException e = assertThrows(KeyAccessDeniedException.class, () -> p.wrap(version, dataKey()));
      assertEquals(Reason.KEY_DISABLED, e.reason());
      assertThrows(KeyAccessDeniedException.class, () -> p.wrap(version, dataKey()), "known disabled: refused");
      vault.keyManager().setEnabled(version, true);
      clock.advance(Duration.ofSeconds(31));
      p.wrap(version, dataKey());
    }
  }

  @Test
  void wrap_expiredByClock_throwsKeyNotValidNow() {
    ManualClock clock = ManualClock.startingAt(Instant.now());
    KeyReference version = vault.createRsaKey(name("expiry"), 2048);
    vault.keyManager().setExpiry(version, Instant.now().plus(1, ChronoUnit.HOURS));
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder()
            .credential(LoopbackFixture.staticCredential(app))
            .clock(clock)
            .build()) {
      p.wrap(version, dataKey());
      clock.advance(Duration.ofHours(2));
      KeyAccessDeniedException e = assertThrows(KeyAccessDeniedException.class, () -> p.wrap(version, dataKey()));
      assertEquals(Reason.KEY_NOT_VALID_NOW, e.reason());
    }
  }

  @Test
  void wrap_keyWithoutWrapKeyOperation_throwsOperationNotPermitted() {
    KeyReference version = vault.createRsaKey(name("nowrap"), 2048);
    vault.keyManager().setOperations(version, EnumSet.of(KeyOperation.UNWRAP_KEY));
    try (AzureKeyVaultProvider p = provider()) {
      KeyAccessDeniedException e = assertThrows(KeyAccessDeniedException.class, () -> p.wrap(version, dataKey()));
      assertEquals(Reason.OPERATION_NOT_PERMITTED, e.reason());
    }
  }

  // ------------------------------------------------------------------ identities and vaults

  @Test
  void identityWithoutPermission_throwsIdentityNotAuthorized_accessPolicyAndRbac() {
    VaultIdentity stranger = server.createApplication("stranger-it");
    KeyReference inVault = vault.createRsaKey(name("denied"), 2048);
    KeyReference inHsm = hsm.createRsaHsmKey(name("denied"), 2048);
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder().credential(LoopbackFixture.staticCredential(stranger)).build()) {
      KeyAccessDeniedException policy = assertThrows(KeyAccessDeniedException.class, () -> p.describe(inVault));
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, policy.reason());
      assertTrue(policy.getMessage().contains("AccessDenied"), policy.getMessage());
      KeyAccessDeniedException rbac = assertThrows(KeyAccessDeniedException.class, () -> p.describe(inHsm));
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, rbac.reason());
      assertTrue(rbac.getMessage().contains("ForbiddenByRbac"), rbac.getMessage());
      WrappedKey wrapped;
      try (AzureKeyVaultProvider allowed = provider()) {
        wrapped = allowed.wrap(inVault, dataKey());
      }
      KeyAccessDeniedException unwrap = assertThrows(KeyAccessDeniedException.class, () -> p.unwrap(wrapped));
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, unwrap.reason());
      assertTrue(unwrap.isAuthoritative());
    }
  }

  @Test
  void tokenNotIssuedByTenant_throwsIdentityNotAuthorized() {
    KeyReference version = vault.createRsaKey(name("forged"), 2048);
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder()
            .credential(request -> Mono.just(new AccessToken("not-a-token", OffsetDateTime.now().plusHours(1))))
            .build()) {
      KeyAccessDeniedException e = assertThrows(KeyAccessDeniedException.class, () -> p.describe(version));
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, e.reason());
    }
  }

  @Test
  void referenceInVaultNotAllowed_throwsKeyNotFoundWithoutCallingIt() {
    KeyReference elsewhere = protectedVault.createRsaKey(name("elsewhere"), 2048);
    try (AzureKeyVaultProvider p =
        AzureKeyVaultProvider.builder()
            .httpClient(LoopbackFixture.httpClient())
            .credential(LoopbackFixture.staticCredential(app))
            .addVault(vault.vaultUrl())
            .build()) {
      protectedVault.clearRequests();
      assertFalse(p.serves(elsewhere));
      assertThrows(KeyNotFoundException.class, () -> p.describe(elsewhere));
      assertThrows(KeyNotFoundException.class, () -> p.wrap(elsewhere, dataKey()));
      assertThrows(
          KeyNotFoundException.class,
          () -> p.unwrap(new WrappedKey(AzureKeyVaultProvider.ID, elsewhere, WrapAlgorithm.RSA_OAEP_256, new byte[256])));
      assertEquals(0, protectedVault.requestCount());
    }
  }

  @Test
  void closedProvider_refusesCalls() {
    KeyReference version = vault.createRsaKey(name("closed"), 2048);
    AzureKeyVaultProvider p = provider();
    p.close();
    p.close();
    assertThrows(IllegalStateException.class, () -> p.describe(version));
  }
}
