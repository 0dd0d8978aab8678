package dev.cmk.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import reactor.core.publisher.Mono;

/**
 * One loopback Key Vault for the whole test JVM: MSAL caches managed-identity tokens per JVM, so
 * every test must talk to the server that issued them. Serves {@code cmkvault} (soft delete, no
 * purge protection), {@code cmkprotected} (purge protection on), the Managed HSM {@code cmkhsm},
 * two vaults using Azure RBAC with purge protection, {@code cmkrbac} and {@code cmkrbacother}, plus
 * the managed-identity endpoint named by {@code IDENTITY_ENDPOINT}.
 */
final class LoopbackFixture {
  static final String VAULT = "cmkvault";
  static final String PROTECTED_VAULT = "cmkprotected";
  static final String HSM = "cmkhsm";
  static final String RBAC_VAULT = "cmkrbac";
  static final String OTHER_RBAC_VAULT = "cmkrbacother";

  /** Retry options that make the SDK give up at once, so the provider's own handling is seen. */
  static final RetryOptions NO_SDK_RETRIES =
      new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1)));

  private static final SecureRandom RANDOM = new SecureRandom();
  private static LoopbackKeyVault server;
  private static HttpClient httpClient;

  private LoopbackFixture() {}

  static synchronized LoopbackKeyVault server() {
    if (server == null) {
      server =
          LoopbackKeyVault.builder()
              .keyVault(VAULT)
              .keyVault(PROTECTED_VAULT)
              .managedHsm(HSM)
              .keyVault(RBAC_VAULT)
              .keyVault(OTHER_RBAC_VAULT)
              .managedIdentityEndpointFromEnvironment()
              .build();
      server.vault(PROTECTED_VAULT).setPurgeProtection(true);
      for (String rbac : new String[] {RBAC_VAULT, OTHER_RBAC_VAULT}) {
        server.vault(rbac).setPurgeProtection(true);
        server.vault(rbac).setRbacAuthorization(true);
      }
      httpClient =
          new JdkHttpClientBuilder(
                  java.net.http.HttpClient.newBuilder().sslContext(server.clientSslContext()))
              .responseTimeout(Duration.ofSeconds(20))
              .build();
    }
    return server;
  }

  /** An azure-core HTTP client that trusts exactly the loopback server's certificate. */
  static synchronized HttpClient httpClient() {
    server();
    return httpClient;
  }

  /** A credential that presents a token the loopback tenant issued for {@code identity}. */
  static TokenCredential staticCredential(VaultIdentity identity) {
    return request -> {
      String scope = request.getScopes().get(0);
      String token = server().issueToken(identity, scope);
      return Mono.just(new AccessToken(token, OffsetDateTime.now().plusMinutes(30)));
    };
  }

  /** A provider builder with trust for the loopback server, allowing every vault it serves. */
  static AzureKeyVaultProviderBuilder providerBuilder() {
    LoopbackKeyVault s = server();
    return AzureKeyVaultProvider.builder()
        .httpClient(httpClient())
        .addVault(s.vaultUrl(VAULT))
        .addVault(s.vaultUrl(PROTECTED_VAULT))
        .addVault(s.vaultUrl(HSM))
        .addVault(s.vaultUrl(RBAC_VAULT))
        .addVault(s.vaultUrl(OTHER_RBAC_VAULT));
  }

  /** {@link #providerBuilder()} calling as {@code identity} with a static token. */
  static AzureKeyVaultProviderBuilder providerBuilder(VaultIdentity identity) {
    return providerBuilder().credential(staticCredential(identity));
  }

  /** A new RSA-2048 key in {@code vault}, named {@code prefix} plus a random suffix. */
  static KeyReference newRsaKey(LoopbackVault vault, String prefix) {
    return vault.createRsaKey(prefix + "-" + HexFormat.of().toHexDigits(RANDOM.nextInt()), 2048);
  }
}
