package dev.cmk.examples.fhir;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import dev.cmk.api.KeyReference;
import dev.cmk.examples.fhir.internal.SettingsKeyConfiguration;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.time.Duration;
import java.time.OffsetDateTime;
import org.hl7.fhir.r4.model.Patient;
import reactor.core.publisher.Mono;

/**
 * Two loopback Key Vaults with purge protection, {@code fhirown} and {@code fhirforeign}, both
 * granting the crypto-user role to the application {@code fhir-server}, and the client setup that
 * lets a server configured from {@link KeySettings} reach them: the real Azure SDK over HTTPS with
 * the loopback's trust and a token of that application (only credential and transport differ from
 * production).
 */
final class TwoLoopbackVaults implements AutoCloseable {
  final LoopbackKeyVault server =
      LoopbackKeyVault.builder().keyVault("fhirown").keyVault("fhirforeign").build();
  final LoopbackVault own = server.vault("fhirown");
  final LoopbackVault foreign = server.vault("fhirforeign");
  final SettingsKeyConfiguration.AzureClientSetup clientSetup;

  TwoLoopbackVaults() {
    VaultIdentity identity = server.createApplication("fhir-server");
    for (LoopbackVault v : new LoopbackVault[] {own, foreign}) {
      v.setPurgeProtection(true);
      v.grant(identity, KeyPermission.cryptoServiceEncryptionUser());
    }
    HttpClient http =
        new JdkHttpClientBuilder(
                java.net.http.HttpClient.newBuilder().sslContext(server.clientSslContext()))
            .responseTimeout(Duration.ofSeconds(20))
            .build();
    TokenCredential credential =
        request -> Mono.just(new AccessToken(
            server.issueToken(identity, request.getScopes().get(0)),
            OffsetDateTime.now().plusMinutes(30)));
    clientSetup = (builder, settings) -> builder.httpClient(http).credential(credential);
  }

  /** Settings naming {@code key}, reached with the system-assigned identity. */
  static KeySettings settings(KeyReference key) {
    return KeySettings.builder()
        .keyEncryptionKeyUrl(key)
        .identityType(KeySettings.IdentityType.SYSTEM_ASSIGNED)
        .build();
  }

  /** A patient with only a family name. */
  static Patient patient(String family) {
    Patient p = new Patient();
    p.addName().setFamily(family);
    return p;
  }

  @Override
  public void close() {
    server.close();
  }
}
