package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import dev.cmk.api.KeyReference;
import dev.cmk.examples.fhir.internal.SettingsKeyConfiguration;
import dev.cmk.testkit.keyvault.LoopbackVault;
import java.nio.file.Path;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
  private TwoLoopbackVaults vaults;
  private LoopbackVault own;
  private LoopbackVault foreign;
  private SettingsKeyConfiguration.AzureClientSetup loopback;

  @BeforeEach
  void vaults() {
    vaults = new TwoLoopbackVaults();
    own = vaults.own;
    foreign = vaults.foreign;
    loopback = vaults.clientSetup;
  }

  @AfterEach
  void stop() {
    vaults.close();
  }

  private FhirServer start(KeyReference key, String jdbcUrl) {
    KeySettings settings = TwoLoopbackVaults.settings(key);
    return FhirServer.builder()
        .port(0)
        .jdbcUrl(jdbcUrl)
        .keySettings(() -> settings)
        .azureClientSetup(loopback)
        .backgroundProbe(false)
        .build()
        .start();
  }

  @Test
  void read_resourceWhoseEnvelopeNamesAnotherVault_answers500AndThatVaultGetsNoRequest() {
    KeyReference foreignKey = foreign.createRsaKey("fhir-cmk", 2048).versionless();
    KeyReference ownKey = own.createRsaKey("fhir-cmk", 2048).versionless();
    String jdbcUrl = "jdbc:h2:file:" + dir.resolve("fhir");
    IdType foreignId;
    try (FhirServer other = start(foreignKey, jdbcUrl)) {
      foreignId = (IdType) FhirTestClient.of(other).create().resource(TwoLoopbackVaults.patient("Foreign"))
          .execute().getId();
    }

    try (FhirServer server = start(ownKey, jdbcUrl)) {
      IGenericClient client = FhirTestClient.of(server);
      IdType ownId = (IdType) client.create().resource(TwoLoopbackVaults.patient("Own")).execute().getId();
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
