package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.ManagedIdentityRefusal;
import dev.cmk.testkit.keyvault.ManagedIdentityRequest;
import dev.cmk.testkit.keyvault.RecordedRequest;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Managed identities through the real {@code ManagedIdentityCredential} (MSAL), which finds the
 * loopback App Service token endpoint through {@code IDENTITY_ENDPOINT} / {@code IDENTITY_HEADER}
 * in this JVM's environment (set by Failsafe). MSAL caches tokens per JVM, so the assertions are on
 * the bearer tokens the vault received and the identity they belong to.
 */
class ManagedIdentityIT {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static LoopbackKeyVault server;
  private static LoopbackVault vault;

  @BeforeAll
  static void setUp() {
    server = LoopbackFixture.server();
    vault = server.vault(LoopbackFixture.VAULT);
    assertNotNull(System.getenv("IDENTITY_ENDPOINT"), "run through Failsafe: IDENTITY_ENDPOINT must be set");
  }

  private static KeyReference newKey(LoopbackVault v) {
    String name = "mi-" + HexFormat.of().toHexDigits(RANDOM.nextInt());
    return v.isManagedHsm() ? v.createRsaHsmKey(name, 2048) : v.createRsaKey(name, 2048);
  }

  private static SecretBytes dataKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return SecretBytes.wrapOwned(b);
  }

  /** Describes and round-trips through {@code provider}; returns the identities the vault saw. */
  private static List<String> use(AzureKeyVaultProvider provider, LoopbackVault v, KeyReference key) {
    v.clearRequests();
    SecretBytes dataKey = dataKey();
    WrappedKey wrapped = provider.wrap(provider.resolveLatest(key.versionless()), dataKey);
    assertArrayEquals(dataKey.copy(), provider.unwrap(wrapped).copy());
    List<RecordedRequest> authenticated = authenticatedRequestsFor(v, key);
    // Exactly a key read and an unwrap; the SDK may legitimately repeat one of them (its retry
    // policy resends a request whose keep-alive connection the server had just closed), so the
    // assertion is on the operations performed, each answered 200.
    List<String> operations =
        authenticated.stream()
            .map(r -> r.method() + (r.path().toLowerCase(java.util.Locale.ROOT).endsWith("/unwrapkey") ? " unwrapKey" : " key"))
            .distinct()
            .sorted()
            .collect(Collectors.toList());
    assertEquals(List.of("GET key", "POST unwrapKey"), operations, "requests: " + authenticated);
    assertTrue(authenticated.stream().allMatch(r -> r.status() == 200), "requests: " + authenticated);
    return authenticated.stream().map(RecordedRequest::identity).distinct().collect(Collectors.toList());
  }

  /**
   * The authenticated requests for {@code key} only: the vault is shared by every test class in
   * this JVM, and a request another class started (e.g. one a client gave up on after a timeout)
   * can complete during this one.
   */
  private static List<RecordedRequest> authenticatedRequestsFor(LoopbackVault v, KeyReference key) {
    String keyPath = "/keys/" + key.name();
    return v.requests().stream()
        .filter(RecordedRequest::authenticated)
        .filter(r -> r.path().equals(keyPath) || r.path().startsWith(keyPath + "/"))
        .collect(Collectors.toList());
  }

  /** The bearer token of the last authenticated request for {@code key}. */
  private static String lastToken(LoopbackVault v, KeyReference key) {
    List<RecordedRequest> requests = authenticatedRequestsFor(v, key);
    return requests.get(requests.size() - 1).bearerToken();
  }

  @Test
  void systemAssignedIdentity_vaultSeesTheSystemIdentitysToken() {
    VaultIdentity system = server.systemAssignedIdentity();
    vault.grant(system, KeyPermission.cryptoServiceEncryptionUser());
    KeyReference key = newKey(vault);
    try (AzureKeyVaultProvider p = LoopbackFixture.providerBuilder().systemAssignedManagedIdentity().build()) {
      assertEquals(List.of(system.name()), use(p, vault, key));
    }
    assertTrue(
        server.managedIdentityRequests().stream()
            .anyMatch(r -> r.clientId() == null && r.resourceId() == null && "https://vault.azure.net".equals(r.resource()) && r.status() == 200),
        "a token was requested for the system identity and Key Vault");
  }

  @Test
  void userAssignedIdentityByClientId_vaultSeesThatIdentitysToken_distinctFromSystem() {
    VaultIdentity system = server.systemAssignedIdentity();
    VaultIdentity user = server.createUserAssignedIdentity("cmk-uami-client");
    vault.grant(system, KeyPermission.cryptoServiceEncryptionUser());
    vault.grant(user, KeyPermission.cryptoServiceEncryptionUser());
    KeyReference key = newKey(vault);
    String systemToken;
    try (AzureKeyVaultProvider p = LoopbackFixture.providerBuilder().systemAssignedManagedIdentity().build()) {
      use(p, vault, key);
      systemToken = lastToken(vault, key);
    }
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder().userAssignedManagedIdentityClientId(user.clientId()).build()) {
      assertEquals(List.of(user.name()), use(p, vault, key));
      assertNotEquals(systemToken, lastToken(vault, key));
    }
    assertTrue(
        server.managedIdentityRequests().stream().anyMatch(r -> user.clientId().equals(r.clientId()) && r.status() == 200),
        "the token request named the user-assigned identity's client id");
  }

  @Test
  void userAssignedIdentityByResourceId_vaultSeesThatIdentitysToken() {
    VaultIdentity user = server.createUserAssignedIdentity("cmk-uami-resource");
    vault.grant(user, KeyPermission.cryptoServiceEncryptionUser());
    KeyReference key = newKey(vault);
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder().userAssignedManagedIdentityResourceId(user.resourceId()).build()) {
      assertEquals(List.of(user.name()), use(p, vault, key));
    }
    assertTrue(
        server.managedIdentityRequests().stream().anyMatch(r -> user.resourceId().equals(r.resourceId())),
        "the token request named the identity's resource id (mi_res_id)");
  }

  @Test
  void systemAssignedIdentity_managedHsm_getsAManagedHsmToken() {
    VaultIdentity system = server.systemAssignedIdentity();
    LoopbackVault hsm = server.vault(LoopbackFixture.HSM);
    hsm.grant(system, KeyPermission.cryptoServiceEncryptionUser());
    KeyReference key = newKey(hsm);
    try (AzureKeyVaultProvider p = LoopbackFixture.providerBuilder().systemAssignedManagedIdentity().build()) {
      assertEquals(List.of(system.name()), use(p, hsm, key));
    }
    assertTrue(
        server.managedIdentityRequests().stream()
            .anyMatch(r -> "https://managedhsm.azure.net".equals(r.resource()) && r.status() == 200));
  }

  @Test
  void identityWithoutPermission_isDeniedAsIdentityNotAuthorized() {
    VaultIdentity allowed = server.createUserAssignedIdentity("cmk-uami-allowed");
    VaultIdentity unpermitted = server.createUserAssignedIdentity("cmk-uami-unpermitted");
    vault.grant(allowed, KeyPermission.cryptoServiceEncryptionUser());
    KeyReference key = newKey(vault);
    WrappedKey wrapped;
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder().userAssignedManagedIdentityClientId(allowed.clientId()).build()) {
      wrapped = p.wrap(key, dataKey());
    }
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder().userAssignedManagedIdentityClientId(unpermitted.clientId()).build()) {
      KeyAccessDeniedException describe = assertThrows(KeyAccessDeniedException.class, () -> p.describe(key));
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, describe.reason());
      KeyAccessDeniedException unwrap = assertThrows(KeyAccessDeniedException.class, () -> p.unwrap(wrapped));
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, unwrap.reason());
      assertEquals(unpermitted.name(), vault.requests().get(vault.requests().size() - 1).identity());
    }
    vault.revokeAll(allowed);
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder().userAssignedManagedIdentityClientId(allowed.clientId()).build()) {
      KeyAccessDeniedException revoked = assertThrows(KeyAccessDeniedException.class, () -> p.unwrap(wrapped));
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, revoked.reason());
    }
  }

  @Test
  void unknownUserAssignedIdentity_tokenRefused_isIdentityNotAuthorized() {
    KeyReference key = newKey(vault);
    String unknownClientId = UUID.randomUUID().toString();
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder()
            .retryOptions(LoopbackFixture.NO_SDK_RETRIES)
            .userAssignedManagedIdentityClientId(unknownClientId)
            .build()) {
      KeyAccessDeniedException e = assertThrows(KeyAccessDeniedException.class, () -> p.describe(key));
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, e.reason());
      assertTrue(e.isAuthoritative());
      assertTrue(
          e.getMessage().contains("refused the identity (the managed-identity endpoint answered HTTP 400)"),
          "the builder's credential sees the endpoint's status: " + e.getMessage());
      assertFalse(e.getMessage().contains(unknownClientId), "no identity ids in the message");
      assertEquals(0, vault.requests().stream().filter(r -> r.authenticated() && r.path().contains(key.name())).count(),
          "no token, no authenticated call");
    }
    List<ManagedIdentityRequest> refused =
        server.managedIdentityRequests().stream()
            .filter(r -> unknownClientId.equals(r.clientId()))
            .collect(Collectors.toList());
    assertEquals(1, refused.size(), "a refusal is not retried: " + refused);
    assertEquals(400, refused.get(0).status());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ManagedIdentityRefusal.class)
  void identityDeletedWhileInUse_nextTokenRefused_isIdentityNotAuthorized_restoredWorksAgain(ManagedIdentityRefusal refusal) {
    VaultIdentity user = server.createUserAssignedIdentity("cmk-uami-deleted-" + refusal.ordinal());
    vault.grant(user, KeyPermission.cryptoServiceEncryptionUser());
    KeyReference key = newKey(vault);
    // Tokens that clients see as expired at once: every call asks the endpoint again, as a client
    // does once the token it cached before the identity was deleted runs out.
    server.setManagedIdentityTokenLifetime(Duration.ZERO);
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder()
            .retryOptions(LoopbackFixture.NO_SDK_RETRIES)
            .userAssignedManagedIdentityClientId(user.clientId())
            .build()) {
      assertEquals(List.of(user.name()), use(p, vault, key));
      server.refuseManagedIdentity(user, refusal);
      KeyAccessDeniedException describe = assertThrows(KeyAccessDeniedException.class, () -> p.describe(key));
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, describe.reason());
      assertTrue(
          describe.getMessage().contains("refused the identity (the managed-identity endpoint answered HTTP 400"
              + (refusal == ManagedIdentityRefusal.IMDS_IDENTITY_NOT_FOUND ? " invalid_request)" : ")")),
          describe.getMessage());
      WrappedKey wrapped = p.wrap(key, dataKey()); // local, with the public key read before
      KeyAccessDeniedException unwrap = assertThrows(KeyAccessDeniedException.class, () -> p.unwrap(wrapped));
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, unwrap.reason());

      server.restoreManagedIdentity(user);
      assertEquals(List.of(user.name()), use(p, vault, key));
    } finally {
      server.restoreManagedIdentity(user);
      server.setManagedIdentityTokenLifetime(Duration.ofHours(1));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ManagedIdentityRefusal.class)
  void identityRefused_applicationsOwnManagedIdentityCredential_isIdentityNotAuthorizedFromMsalsMessage(
      ManagedIdentityRefusal refusal) {
    VaultIdentity user = server.createUserAssignedIdentity("cmk-uami-own-credential-" + refusal.ordinal());
    vault.grant(user, KeyPermission.cryptoServiceEncryptionUser());
    KeyReference key = newKey(vault);
    server.refuseManagedIdentity(user, refusal);
    TokenCredential own =
        new ManagedIdentityCredentialBuilder()
            .clientId(user.clientId())
            .httpClient(LoopbackFixture.httpClient())
            .retryOptions(LoopbackFixture.NO_SDK_RETRIES)
            .build();
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder().retryOptions(LoopbackFixture.NO_SDK_RETRIES).credential(own).build()) {
      KeyAccessDeniedException e = assertThrows(KeyAccessDeniedException.class, () -> p.describe(key));
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, e.reason());
      assertTrue(e.getMessage().contains("refused the identity (the APP_SERVICE managed-identity endpoint"),
          "recognised from the body MSAL kept in its message: " + e.getMessage());
    } finally {
      server.restoreManagedIdentity(user);
    }
  }

  @Test
  void entraIdUnreachable_isTransient() {
    KeyReference key = newKey(vault);
    TokenCredential unreachable =
        new ClientSecretCredentialBuilder()
            .tenantId(server.tenantId())
            .clientId(UUID.randomUUID().toString())
            .clientSecret("not-a-secret")
            .authorityHost("https://127.0.0.1:1")
            .disableInstanceDiscovery()
            .httpClient(LoopbackFixture.httpClient())
            .retryOptions(LoopbackFixture.NO_SDK_RETRIES)
            .build();
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder().retryOptions(LoopbackFixture.NO_SDK_RETRIES).credential(unreachable).build()) {
      KeyProviderException e = assertThrows(KeyProviderException.class, () -> p.describe(key));
      assertInstanceOf(KeyProviderUnavailableException.class, e, "an unreachable token endpoint is an outage: " + e);
      assertTrue(e.getMessage().contains("could not get a token"), e.getMessage());
    }
  }

  @ParameterizedTest(name = "HTTP {0}")
  @ValueSource(ints = {500, 503})
  void tokenEndpointFailing_isTransient(int status) {
    VaultIdentity user = server.createUserAssignedIdentity("cmk-uami-endpoint-down");
    vault.grant(user, KeyPermission.cryptoServiceEncryptionUser());
    KeyReference key = newKey(vault);
    server.failManagedIdentityNext(20, status);
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder()
            .retryOptions(LoopbackFixture.NO_SDK_RETRIES)
            .userAssignedManagedIdentityClientId(user.clientId())
            .build()) {
      KeyProviderException e = assertThrows(KeyProviderException.class, () -> p.describe(key));
      assertFalse(e.isAuthoritative(), "a failing token endpoint is transient: " + e);
    } finally {
      server.failManagedIdentityNext(0, 503);
    }
  }
}
