package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.gclient.TokenClientParam;
import ca.uhn.fhir.rest.param.ParamPrefixEnum;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseOperationOutcome;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: the FHIR server in real Jetty on a free port, HAPI's generic client over HTTP, an H2
 * file database, and the testkit's in-memory key provider playing the customer's key vault on a
 * manual clock.
 */
class FhirServerIT {
  private static final Duration PROBE_INTERVAL = Duration.ofMinutes(1);

  @TempDir Path dir;
  private ManualClock clock;
  private InMemoryKeyProvider vault;
  private KeyReference k1;
  private String jdbcUrl;
  private FhirServer server;
  private IGenericClient client;

  @BeforeEach
  void start() {
    TestVault keys = TestVault.create();
    clock = keys.clock();
    vault = keys.vault();
    k1 = keys.key();
    jdbcUrl = "jdbc:h2:file:" + dir.resolve("fhir");
    server = FhirTestClient.serverBuilder(jdbcUrl, clock)
        .keyConfiguration(keys::configuration)
        .build()
        .start();
    client = FhirTestClient.of(server);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static Patient patient(String family, String given) {
    Patient p = new Patient();
    p.addName().setFamily(family).addGiven(given);
    p.setGender(AdministrativeGender.FEMALE);
    p.setBirthDate(new Date(0));
    return p;
  }

  private IdType create(Patient p) {
    MethodOutcome outcome = client.create().resource(p).execute();
    assertTrue(outcome.getCreated(), "201 Created");
    return (IdType) outcome.getId();
  }

  private Patient read(IdType id) {
    return client.read().resource(Patient.class).withId(id.toUnqualifiedVersionless()).execute();
  }

  private Parameters status() {
    return client.operation().onServer().named("$cmk-status")
        .withNoParameters(Parameters.class).useHttpGet().execute();
  }

  private static String param(Parameters p, String name) {
    return p.getParameter(name).getValue().primitiveValue();
  }

  private static OperationOutcome outcomeOf(BaseServerResponseException e) {
    IBaseOperationOutcome oo = e.getOperationOutcome();
    assertNotNull(oo, "the 500 carries an OperationOutcome");
    return (OperationOutcome) oo;
  }

  private static List<String> codes(OperationOutcome oo) {
    List<String> codes = new ArrayList<>();
    for (Coding c : oo.getIssueFirstRep().getDetails().getCoding()) {
      codes.add(c.getCode());
    }
    return codes;
  }

  private byte[] envelope(String type, String id, long version) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl, "sa", "");
        PreparedStatement ps = c.prepareStatement(
            "SELECT envelope FROM fhir_resource_version"
                + " WHERE resource_type = ? AND resource_id = ? AND version_id = ?")) {
      ps.setString(1, type);
      ps.setString(2, id);
      ps.setLong(3, version);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next(), "row exists");
        return rs.getBytes(1);
      }
    }
  }

  @Test
  void crud_createReadUpdateVreadHistorySearchDelete_behaveAsFhir() {
    IdType id = create(patient("Chalmers", "Peter"));
    assertEquals("1", id.getVersionIdPart());

    Patient read = read(id);
    assertEquals("Chalmers", read.getNameFirstRep().getFamily());
    assertEquals("1", read.getMeta().getVersionId());

    read.getNameFirstRep().getGiven().clear();
    read.getNameFirstRep().addGiven("Jim");
    MethodOutcome updated = client.update().resource(read).execute();
    assertEquals("2", updated.getId().getVersionIdPart());

    Patient v1 = client.read().resource(Patient.class).withIdAndVersion(id.getIdPart(), "1").execute();
    Patient v2 = client.read().resource(Patient.class).withIdAndVersion(id.getIdPart(), "2").execute();
    assertEquals("Peter", v1.getNameFirstRep().getGivenAsSingleString());
    assertEquals("Jim", v2.getNameFirstRep().getGivenAsSingleString());

    Bundle history = client.history().onInstance(id.toUnqualifiedVersionless())
        .returnBundle(Bundle.class).execute();
    assertEquals(2, history.getEntry().size());
    assertEquals("2", history.getEntry().get(0).getResource().getMeta().getVersionId());

    Bundle byId = client.search().forResource(Patient.class)
        .where(new TokenClientParam("_id").exactly().code(id.getIdPart()))
        .returnBundle(Bundle.class).execute();
    assertEquals(1, byId.getEntry().size());
    assertEquals("Jim",
        ((Patient) byId.getEntryFirstRep().getResource()).getNameFirstRep().getGivenAsSingleString());

    Bundle recent = client.search().forResource(Patient.class)
        .where(Patient.RES_ID.exactly().code(id.getIdPart()))
        .lastUpdated(new ca.uhn.fhir.rest.param.DateRangeParam()
            .setLowerBound(new ca.uhn.fhir.rest.param.DateParam(ParamPrefixEnum.GREATERTHAN_OR_EQUALS,
                Date.from(clock.instant().minusSeconds(60)))))
        .returnBundle(Bundle.class).execute();
    assertEquals(1, recent.getEntry().size());
    Bundle old = client.search().forResource(Patient.class)
        .lastUpdated(new ca.uhn.fhir.rest.param.DateRangeParam()
            .setUpperBound(new ca.uhn.fhir.rest.param.DateParam(ParamPrefixEnum.LESSTHAN,
                Date.from(clock.instant().minusSeconds(60)))))
        .returnBundle(Bundle.class).execute();
    assertEquals(0, old.getEntry().size());

    client.delete().resourceById(id.toUnqualifiedVersionless()).execute();
    assertThrows(ResourceGoneException.class, () -> read(id));
    Bundle afterDelete = client.history().onInstance(id.toUnqualifiedVersionless())
        .returnBundle(Bundle.class).execute();
    assertEquals(3, afterDelete.getEntry().size());
    assertEquals(Bundle.HTTPVerb.DELETE, afterDelete.getEntry().get(0).getRequest().getMethod());
    assertEquals(0, client.search().forResource(Patient.class)
        .where(Patient.RES_ID.exactly().code(id.getIdPart()))
        .returnBundle(Bundle.class).execute().getEntry().size());
    assertThrows(ResourceNotFoundException.class,
        () -> client.read().resource(Patient.class).withId("does-not-exist").execute());
  }

  @Test
  void update_newClientAssignedIdAndIfMatch_createAndCheckVersion() {
    Patient p = patient("Shaw", "Amy");
    p.setId("example-1");
    MethodOutcome created = client.update().resource(p).execute();
    assertTrue(created.getCreated());
    assertEquals("1", created.getId().getVersionIdPart());

    p.setId(new IdType("Patient", "example-1", "7"));
    assertThrows(PreconditionFailedException.class,
        () -> client.update().resource(p).withId(new IdType("Patient", "example-1", "7")).execute());
    MethodOutcome second = client.update().resource(p)
        .withId(new IdType("Patient", "example-1", "1")).execute();
    assertEquals("2", second.getId().getVersionIdPart());
  }

  @Test
  void observation_createAndRead_roundTrips() {
    IdType patient = create(patient("Lee", "Kim"));
    Observation o = new Observation();
    o.setStatus(Observation.ObservationStatus.FINAL);
    o.getCode().addCoding().setSystem("http://loinc.org").setCode("29463-7").setDisplay("Body weight");
    o.setSubject(new Reference(patient.toUnqualifiedVersionless()));
    o.setValue(new Quantity().setValue(72.5).setUnit("kg"));
    IdType id = (IdType) client.create().resource(o).execute().getId();
    Observation back = client.read().resource(Observation.class).withId(id.getIdPart()).execute();
    assertEquals("29463-7", back.getCode().getCodingFirstRep().getCode());
    assertEquals(patient.toUnqualifiedVersionless().getValue(), back.getSubject().getReference());
  }

  @Test
  void database_holdsEnvelopesOnly_noPlaintext() throws SQLException {
    IdType id = create(patient("Quillfeather", "Zebediah"));
    byte[] name = "Quillfeather".getBytes(StandardCharsets.UTF_8);
    int rows = 0;
    try (Connection c = DriverManager.getConnection(jdbcUrl, "sa", "");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM fhir_resource_version")) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        rows++;
        for (int i = 1; i <= columns; i++) {
          Object value = rs.getObject(i);
          byte[] raw = value instanceof byte[]
              ? (byte[]) value
              : String.valueOf(value).getBytes(StandardCharsets.UTF_8);
          assertFalse(indexOf(raw, name) >= 0,
              "column " + rs.getMetaData().getColumnName(i) + " holds the patient's name");
        }
      }
    }
    assertEquals(1, rows);
    byte[] envelope = envelope("Patient", id.getIdPart(), 1);
    EnvelopeInfo info = EnvelopeInfo.of(envelope);
    assertEquals(k1, info.keyReference());
    // The name is in there, encrypted: decrypting with the right associated data shows it.
    try (EnvelopeCrypto reader = EnvelopeCrypto.builder().provider(vault).build()) {
      byte[] json = reader.decrypt(envelope,
          ("Patient/" + id.getIdPart() + "/1").getBytes(StandardCharsets.UTF_8));
      assertTrue(indexOf(json, name) >= 0);
    }
  }

  @Test
  void databaseFile_holdsNoPlaintextAnywhere_afterWritesUpdatesAndDelete() throws Exception {
    IdType id = create(patient("Quillfeather", "Zebediah"));
    Patient p = read(id);
    p.getNameFirstRep().setFamily("Featherquill");
    p.addTelecom().setValue("+44-20-7946-0958");
    client.update().resource(p).execute();
    IdType other = create(patient("Marchbanks", "Ottoline"));
    client.delete().resourceById(other.toUnqualifiedVersionless()).execute();
    server.close(); // closes the pool, so H2 writes everything to the file and closes it
    server = null;

    byte[] file = java.nio.file.Files.readAllBytes(dir.resolve("fhir.mv.db"));
    // The scan can see what is in clear: the resource ids are index columns.
    assertTrue(indexOf(file, id.getIdPart().getBytes(StandardCharsets.UTF_8)) >= 0,
        "the scan does not see clear text in the database file");
    for (String secret : List.of("Quillfeather", "Featherquill", "Zebediah", "Marchbanks",
        "Ottoline", "7946-0958", "\"family\"")) {
      for (java.nio.charset.Charset cs : List.of(StandardCharsets.UTF_8, StandardCharsets.UTF_16BE,
          StandardCharsets.UTF_16LE)) {
        assertEquals(-1, indexOf(file, secret.getBytes(cs)),
            secret + " (" + cs + ") is in the H2 database file");
      }
    }
  }

  @Test
  void disabledKey_vreadUpdateAndHistory_answer500() {
    IdType id = create(patient("Versioned", "Vera"));
    Patient current = read(id);
    vault.setEnabled(k1, false);
    clock.advance(PROBE_INTERVAL);

    InternalErrorException vread = assertThrows(InternalErrorException.class,
        () -> client.read().resource(Patient.class).withIdAndVersion(id.getIdPart(), "1")
            .execute());
    current.getNameFirstRep().setFamily("Versioned-Two");
    InternalErrorException update = assertThrows(InternalErrorException.class,
        () -> client.update().resource(current).execute());
    InternalErrorException history = assertThrows(InternalErrorException.class,
        () -> client.history().onInstance(id.toUnqualifiedVersionless())
            .returnBundle(Bundle.class).execute());

    for (InternalErrorException e : List.of(vread, update, history)) {
      assertEquals(500, e.getStatusCode());
      assertEquals(List.of("UNAVAILABLE", "KEY_DISABLED"), codes(outcomeOf(e)));
    }
    vault.setEnabled(k1, true);
    clock.advance(Duration.ofSeconds(10));
    Patient after = read(id);
    assertEquals("1", after.getMeta().getVersionId(), "the refused update stored nothing");
    assertEquals("Versioned", after.getNameFirstRep().getFamily());
  }

  @Test
  void copiedRow_ontoAnotherIdOrVersion_failsToDecrypt() throws SQLException {
    IdType a = create(patient("Alpha", "Ann"));
    IdType b = create(patient("Beta", "Bob"));
    Patient a1 = read(a);
    a1.getNameFirstRep().setFamily("Alpha-Two");
    client.update().resource(a1).execute();
    try (Connection c = DriverManager.getConnection(jdbcUrl, "sa", "");
        PreparedStatement ps = c.prepareStatement(
            "UPDATE fhir_resource_version SET envelope = ?"
                + " WHERE resource_type = 'Patient' AND resource_id = ? AND version_id = ?")) {
      ps.setBytes(1, envelope("Patient", a.getIdPart(), 1));
      ps.setString(2, b.getIdPart());
      ps.setLong(3, 1);
      assertEquals(1, ps.executeUpdate());
      ps.setBytes(1, envelope("Patient", a.getIdPart(), 2));
      ps.setString(2, a.getIdPart());
      ps.setLong(3, 1);
      assertEquals(1, ps.executeUpdate());
    }
    InternalErrorException moved = assertThrows(InternalErrorException.class, () -> read(b));
    assertTrue(codes(outcomeOf(moved)).contains("STORED_DATA_NOT_AUTHENTIC"));
    InternalErrorException otherVersion = assertThrows(InternalErrorException.class,
        () -> client.read().resource(Patient.class).withIdAndVersion(a.getIdPart(), "1").execute());
    assertTrue(codes(outcomeOf(otherVersion)).contains("STORED_DATA_NOT_AUTHENTIC"));
    assertEquals("Alpha-Two", read(a).getNameFirstRep().getFamily());
  }

  @Test
  void rotation_newVersionsUseNewKeyVersion_oldVersionsStillRead() throws SQLException {
    IdType id = create(patient("Rotor", "Rita"));
    KeyReference k2 = vault.rotate(k1);
    clock.advance(PROBE_INTERVAL);
    Patient p = read(id);
    assertEquals(k2.toString(), param(status(), "currentKeyVersion"));
    p.getNameFirstRep().setFamily("Rotor-Two");
    client.update().resource(p).execute();

    assertEquals(k1, EnvelopeInfo.of(envelope("Patient", id.getIdPart(), 1)).keyReference());
    assertEquals(k2, EnvelopeInfo.of(envelope("Patient", id.getIdPart(), 2)).keyReference());
    Patient v1 = client.read().resource(Patient.class).withIdAndVersion(id.getIdPart(), "1").execute();
    assertEquals("Rotor", v1.getNameFirstRep().getFamily());
    assertEquals("Rotor-Two", read(id).getNameFirstRep().getFamily());
  }

  @Test
  void disabledKey_dataRequests500_metadata200_restoredWithinGrace_200() {
    IdType id = create(patient("Dormant", "Dora"));
    vault.setEnabled(k1, false);
    clock.advance(PROBE_INTERVAL);

    InternalErrorException readFailure = assertThrows(InternalErrorException.class, () -> read(id));
    assertEquals(500, readFailure.getStatusCode());
    OperationOutcome oo = outcomeOf(readFailure);
    assertTrue(oo.getIssueFirstRep().getDiagnostics()
        .startsWith("The customer-managed key is not accessible: the key is disabled"),
        oo.getIssueFirstRep().getDiagnostics());
    assertEquals(List.of("UNAVAILABLE", "KEY_DISABLED"), codes(oo));
    assertEquals(500, assertThrows(InternalErrorException.class,
        () -> create(patient("New", "Nora"))).getStatusCode());
    assertEquals(500, assertThrows(InternalErrorException.class,
        () -> client.delete().resourceById(id.toUnqualifiedVersionless()).execute()).getStatusCode());
    assertEquals(500, assertThrows(InternalErrorException.class,
        () -> client.search().forResource(Patient.class).returnBundle(Bundle.class).execute())
        .getStatusCode());

    CapabilityStatement metadata = client.capabilities().ofType(CapabilityStatement.class).execute();
    assertEquals("cmk example FHIR server", metadata.getSoftware().getName());
    Parameters status = status();
    assertEquals("UNAVAILABLE", param(status, "state"));
    assertEquals("KEY_DISABLED", param(status, "cause"));
    long grace = Long.parseLong(param(status, "graceRemainingSeconds"));
    assertTrue(grace > 0 && grace <= 30 * 60, "grace " + grace);

    vault.setEnabled(k1, true);
    clock.advance(Duration.ofSeconds(10));
    assertEquals("Dormant", read(id).getNameFirstRep().getFamily());
    assertEquals("AVAILABLE", param(status(), "state"));
  }

  @Test
  void pastGraceWindow_500UntilRefresh_then200() {
    IdType id = create(patient("Locked", "Lou"));
    vault.setEnabled(k1, false);
    clock.advance(PROBE_INTERVAL);
    assertThrows(InternalErrorException.class, () -> read(id));

    clock.advance(Duration.ofMinutes(31));
    vault.setEnabled(k1, true);
    clock.advance(Duration.ofMinutes(1));
    InternalErrorException locked = assertThrows(InternalErrorException.class, () -> read(id));
    OperationOutcome oo = outcomeOf(locked);
    assertEquals("REFRESH_REQUIRED", codes(oo).get(0));
    assertTrue(oo.getIssueFirstRep().getDiagnostics().contains("POST /$cmk-refresh"));
    assertEquals("true", param(status(), "refreshRequired"));

    Parameters refreshed = client.operation().onServer().named("$cmk-refresh")
        .withNoParameters(Parameters.class).execute();
    assertEquals("AVAILABLE", param(refreshed, "state"));
    assertEquals("Locked", read(id).getNameFirstRep().getFamily());
  }

  @Test
  void refresh_whileKeyStillDisabled_answers500AndStaysClosed() {
    IdType id = create(patient("Still", "Stan"));
    vault.setEnabled(k1, false);
    clock.advance(PROBE_INTERVAL.plus(Duration.ofMinutes(31)));
    InternalErrorException failed = assertThrows(InternalErrorException.class,
        () -> client.operation().onServer().named("$cmk-refresh")
            .withNoParameters(Parameters.class).execute());
    assertTrue(codes(outcomeOf(failed)).contains("REFRESH_FAILED"));
    assertNotEquals("AVAILABLE", param(status(), "state"));
    assertThrows(InternalErrorException.class, () -> read(id));
  }

  @Test
  void demoClockOperation_notRegisteredWithoutDemoClock() {
    BaseServerResponseException e = assertThrows(BaseServerResponseException.class,
        () -> client.operation().onServer().named("$demo-clock")
            .withNoParameters(Parameters.class).execute());
    assertTrue(e.getStatusCode() == 400 || e.getStatusCode() == 404, "status " + e.getStatusCode());
  }

  /** Where {@code needle} first occurs in {@code haystack}, or -1 (Latin-1: one char a byte). */
  static int indexOf(byte[] haystack, byte[] needle) {
    return new String(haystack, StandardCharsets.ISO_8859_1)
        .indexOf(new String(needle, StandardCharsets.ISO_8859_1));
  }

  @Test
  void indexOf_findsAndMisses() {
    assertEquals(2, indexOf("abcdef".getBytes(StandardCharsets.UTF_8),
        "cd".getBytes(StandardCharsets.UTF_8)));
    assertEquals(-1, indexOf("abcdef".getBytes(StandardCharsets.UTF_8),
        "dc".getBytes(StandardCharsets.UTF_8)));
  }
}
