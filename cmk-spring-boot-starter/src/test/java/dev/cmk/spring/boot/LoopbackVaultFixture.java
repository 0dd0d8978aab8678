package dev.cmk.spring.boot;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import reactor.core.publisher.Mono;

/**
 * One loopback Key Vault for the whole test JVM (MSAL caches managed-identity tokens per JVM):
 * {@code cmkspring}, with soft delete and purge protection as the key policies require, plus the
 * managed-identity endpoint that Failsafe names in {@code IDENTITY_ENDPOINT}. The application
 * reaches it with the real Azure SDK over HTTPS, through a JDK HTTP client that trusts exactly the
 * loopback certificate.
 */
final class LoopbackVaultFixture {
  static final String VAULT = "cmkspring";
  private static final SecureRandom RANDOM = new SecureRandom();

  private static LoopbackKeyVault server;
  private static HttpClient httpClient;

  private LoopbackVaultFixture() {}

  static synchronized LoopbackKeyVault server() {
    if (server == null) {
      server = LoopbackKeyVault.builder()
          .keyVault(VAULT)
          .managedIdentityEndpointFromEnvironment()
          .build();
      server.vault(VAULT).setPurgeProtection(true);
      httpClient = new JdkHttpClientBuilder(
              java.net.http.HttpClient.newBuilder().sslContext(server.clientSslContext()))
          .responseTimeout(Duration.ofSeconds(20))
          .build();
    }
    return server;
  }

  static LoopbackVault vault() {
    return server().vault(VAULT);
  }

  /** A new 2048-bit RSA key in the vault; returns its first version. */
  static KeyReference newKey(String prefix) {
    return vault().createRsaKey(prefix + "-" + HexFormat.of().toHexDigits(RANDOM.nextInt()), 2048);
  }

  /** A new application identity allowed to use the vault's keys. */
  static VaultIdentity newIdentity(String prefix) {
    VaultIdentity id =
        server().createApplication(prefix + "-" + HexFormat.of().toHexDigits(RANDOM.nextInt()));
    grant(id);
    return id;
  }

  static void grant(VaultIdentity id) {
    vault().grant(id, KeyPermission.GET, KeyPermission.LIST, KeyPermission.WRAP_KEY,
        KeyPermission.UNWRAP_KEY);
  }

  /** A credential that presents tokens the loopback tenant issued for {@code identity}. */
  static TokenCredential credential(VaultIdentity identity) {
    return request -> Mono.just(new AccessToken(
        server().issueToken(identity, request.getScopes().get(0)),
        OffsetDateTime.now().plusMinutes(30)));
  }

  /** Trust for the loopback certificate, and no SDK retries (the guard does its own). */
  static KeyVaultProviderCustomizer trustLoopback() {
    server();
    return b -> b.httpClient(httpClient)
        .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))));
  }
}
