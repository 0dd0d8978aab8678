package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
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
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * A stored resource version whose envelope names a vault the server is not configured with (rows
 * written by a server of another tenant into the same database, or a restored foreign backup): the
 * server answers HTTP 500 with an OperationOutcome naming the key, and that vault receives no
 * request. The server is configured from {@link KeySettings} as in production (the provider built
 * by {@code SettingsKeyConfiguration}); only the credential and transport differ: the real Azure SDK
 * over HTTPS to two loopback vaults under their real host names.
 */
class ForeignVaultIT {
  @TempDir Path dir;
  private LoopbackKeyVault server;
  private LoopbackVault own;
  private LoopbackVault foreign;
  private SettingsKeyConfiguration.AzureClientSetup loopback;

  @BeforeEach
  void vaults() {
    server = LoopbackKeyVault.builder().keyVault("fhirown").keyVault("fhirforeign").build();
    own = server.vault("fhirown");
    foreign = server.vault("fhirforeign");
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
    loopback = (builder, settings) -> builder.httpClient(http).credential(credential);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private FhirServer start(KeyReference key, String jdbcUrl) {
    KeySettings settings = KeySettings.builder()
        .keyEncryptionKeyUrl(key)
        .identityType(KeySettings.IdentityType.SYSTEM_ASSIGNED)
        .build();
    return FhirServer.builder()
        .port(0)
        .jdbcUrl(jdbcUrl)
        .keySettings(() -> settings)
        .azureClientSetup(loopback)
        .backgroundProbe(false)
        .build()
        .start();
  }

  private static Patient patient(String family) {
    Patient p = new Patient();
    p.addName().setFamily(family);
    return p;
  }

  @Test
  void read_resourceWhoseEnvelopeNamesAnotherVault_answers500AndThatVaultGetsNoRequest() {
    KeyReference foreignKey = foreign.createRsaKey("fhir-cmk", 2048).versionless();
    KeyReference ownKey = own.createRsaKey("fhir-cmk", 2048).versionless();
    String jdbcUrl = "jdbc:h2:file:" + dir.resolve("fhir");
    IdType foreignId;
    try (FhirServer other = start(foreignKey, jdbcUrl)) {
      foreignId = (IdType) FhirTestClient.of(other).create().resource(patient("Foreign"))
          .execute().getId();
    }

    try (FhirServer server = start(ownKey, jdbcUrl)) {
      IGenericClient client = FhirTestClient.of(server);
      IdType ownId = (IdType) client.create().resource(patient("Own")).execute().getId();
      assertEquals("Own", client.read().resource(Patient.class)
          .withId(ownId.toUnqualifiedVersionless()).execute().getNameFirstRep().getFamily());
      foreign.clearRequests();

      InternalErrorException e = assertThrows(InternalErrorException.class,
          () -> client.read().resource(Patient.class)
              .withId(foreignId.toUnqualifiedVersionless()).execute());

      assertEquals(500, e.getStatusCode());
      OperationOutcome outcome = (OperationOutcome) e.getOperationOutcome();
      assertNotNull(outcome, "the 500 carries an OperationOutcome");
      String text = outcome.getIssueFirstRep().getDiagnostics();
      assertTrue(text.contains("provider serves this key"), text);
      assertTrue(text.contains(foreign.vaultUrl()), text);
      assertEquals(0, foreign.requestCount(),
          "requests reached the vault not configured: " + foreign.requests());
      assertEquals("Own", client.read().resource(Patient.class)
          .withId(ownId.toUnqualifiedVersionless()).execute().getNameFirstRep().getFamily(),
          "the server's own resources are still served");
    }
  }
}
