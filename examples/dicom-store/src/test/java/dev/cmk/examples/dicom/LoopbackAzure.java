package dev.cmk.examples.dicom;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import dev.cmk.azure.AzureKeyVaultProvider;
import dev.cmk.azure.AzureKeyVaultProviderBuilder;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.time.Duration;
import java.time.OffsetDateTime;
import reactor.core.publisher.Mono;

/**
 * What the store needs to reach loopback Key Vaults through the real Azure SDK: the application
 * {@code dicom-store} with the crypto-user role, and a provider builder whose HTTP client trusts the
 * loopback's certificate and whose credential presents the loopback's tokens for that application.
 */
final class LoopbackAzure {
  private LoopbackAzure() {}

  /**
   * Creates the application {@code dicom-store} and grants it the crypto-user role on each vault,
   * after turning on purge protection there (as the store's key policy requires).
   *
   * @return the application
   */
  static VaultIdentity storeIdentity(LoopbackKeyVault server, LoopbackVault... vaults) {
    VaultIdentity identity = server.createApplication("dicom-store");
    for (LoopbackVault v : vaults) {
      v.setPurgeProtection(true);
      v.grant(identity, KeyPermission.cryptoServiceEncryptionUser());
    }
    return identity;
  }

  /**
   * A provider builder reaching {@code server}'s vaults as {@code identity}: an HTTP client trusting
   * exactly the loopback's certificate and a credential presenting its tokens for the identity.
   */
  static AzureKeyVaultProviderBuilder providerBuilder(
      LoopbackKeyVault server, VaultIdentity identity) {
    return AzureKeyVaultProvider.builder()
        .httpClient(httpClient(server))
        .credential(credential(server, identity));
  }

  private static HttpClient httpClient(LoopbackKeyVault server) {
    return new JdkHttpClientBuilder(
            java.net.http.HttpClient.newBuilder().sslContext(server.clientSslContext()))
        .responseTimeout(Duration.ofSeconds(20))
        .build();
  }

  private static TokenCredential credential(LoopbackKeyVault server, VaultIdentity identity) {
    return request -> Mono.just(new AccessToken(
        server.issueToken(identity, request.getScopes().get(0)),
        OffsetDateTime.now().plusMinutes(30)));
  }
}
