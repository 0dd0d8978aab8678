package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.keystore.KeystoreKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server configured the way the demo and {@code --key-settings} configure it: {@code local:}
 * keys in a PKCS#12 keystore file that the key's owner manages with a provider instance of their
 * own, and key settings in a properties file re-read by {@code $cmk-refresh}.
 */
class FhirServerKeystoreIT {
  @TempDir Path dir;
  private ManualClock clock;
  private KeystoreKeyProvider owner;
  private KeyReference first;
  private Path settingsFile;
  private String jdbcUrl;
  private FhirServer server;
  private IGenericClient client;

  @BeforeEach
  void start() throws IOException {
    clock = ManualClock.create();
    Files.writeString(dir.resolve("pw"), "correct horse battery staple");
    owner = KeystoreKeyProvider.builder().path(dir.resolve("keys.p12"))
        .passwordFile(dir.resolve("pw")).create(true).build();
    first = owner.keyManager().orElseThrow().createKey("fhir-cmk", 2048);
    settingsFile = dir.resolve("key.properties");
    writeSettings("local:fhir-cmk");
    jdbcUrl = "jdbc:h2:file:" + dir.resolve("fhir");
    server = FhirTestClient.serverBuilder(jdbcUrl, clock)
        .keySettings(() -> KeySettings.load(settingsFile))
        .build()
        .start();
    client = FhirTestClient.of(server);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private void writeSettings(String url) throws IOException {
    Files.writeString(settingsFile, "keyEncryptionKeyUrl=" + url + "\n"
        + "keystore.path=keys.p12\nkeystore.passwordFile=pw\n");
  }

  private IdType create(String family) {
    Patient p = new Patient();
    p.addName().setFamily(family);
    return ((IdType) client.create().resource(p).execute().getId()).toUnqualifiedVersionless();
  }

  private KeyReference storedKey(IdType id) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl, "sa", "");
        PreparedStatement ps = c.prepareStatement("SELECT envelope FROM fhir_resource_version"
            + " WHERE resource_type = 'Patient' AND resource_id = ? AND version_id = 1")) {
      ps.setString(1, id.getIdPart());
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        return EnvelopeInfo.of(rs.getBytes(1)).keyReference();
      }
    }
  }

  @Test
  void changedKeySettings_takeEffectOnRefresh_oldDataStillReads() throws IOException, SQLException {
    KeyReference second = owner.keyManager().orElseThrow().createKey("fhir-cmk-2", 2048);
    IdType a = create("Before");
    writeSettings("local:fhir-cmk-2");
    IdType b = create("NotYetRefreshed");
    assertEquals(first, storedKey(b));

    Parameters refreshed = client.operation().onServer().named("$cmk-refresh")
        .withNoParameters(Parameters.class).execute();
    assertEquals("local:fhir-cmk-2",
        refreshed.getParameter("keyEncryptionKeyUrl").getValue().primitiveValue());
    IdType c = create("After");
    assertEquals(first, storedKey(a));
    assertEquals(second, storedKey(c));
    assertEquals("Before",
        client.read().resource(Patient.class).withId(a).execute().getNameFirstRep().getFamily());
  }

  @Test
  void keyDisabledByItsOwner_seenByTheServerAtItsNextCheck() {
    IdType a = create("Owner");
    owner.keyManager().orElseThrow().setEnabled(first, false);
    clock.advance(Duration.ofMinutes(1));
    InternalErrorException e = assertThrows(InternalErrorException.class,
        () -> client.read().resource(Patient.class).withId(a).execute());
    OperationOutcome oo = (OperationOutcome) e.getOperationOutcome();
    assertEquals("KEY_DISABLED", oo.getIssueFirstRep().getDetails().getCoding().get(1).getCode());
    owner.keyManager().orElseThrow().setEnabled(first, true);
    clock.advance(Duration.ofSeconds(10));
    assertEquals("Owner",
        client.read().resource(Patient.class).withId(a).execute().getNameFirstRep().getFamily());
  }
}
