package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.context.FhirContext;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.examples.fhir.internal.ConditionalRace;
import dev.cmk.examples.fhir.internal.Database;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Conditional create, conditional update, update-as-create and {@code Prefer} over plain HTTP
 * (java.net.http, so every status and header is the server's own), on one database per concrete
 * subclass: the real server in Jetty, the testkit's in-memory key provider on a manual clock.
 */
abstract class ConditionalRequestsContract {
  static final String SYSTEM = "urn:oid:1.2.36.146.595.217.0.1";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private static final FhirContext FHIR = FhirContext.forR4Cached();

  ManualClock clock;
  InMemoryKeyProvider vault;
  KeyReference key;
  FhirServer server;
  String databaseUrl;

  /** {@return the JDBC URL of a fresh, empty database for one test} */
  abstract String freshDatabase() throws Exception;

  /** {@return a direct connection to the same database, for counting rows} */
  abstract Connection connect() throws SQLException;

  /** Drops what {@link #freshDatabase()} made. */
  void dropDatabase() throws Exception {}

  @BeforeEach
  void startServer() throws Exception {
    TestVault keys = TestVault.create();
    clock = keys.clock();
    vault = keys.vault();
    key = keys.key();
    databaseUrl = freshDatabase();
    server = FhirTestClient.serverBuilder(databaseUrl, clock)
        .keyConfiguration(keys::configuration).build().start();
  }

  @AfterEach
  void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
    dropDatabase();
  }

  record Answer(int status, String body, HttpResponse<String> response) {
    String header(String name) {
      return response.headers().firstValue(name).orElse(null);
    }

    <R extends IBaseResource> R parse(Class<R> type) {
      return FHIR.newJsonParser().parseResource(type, body);
    }
  }

  Answer send(String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
        .timeout(Duration.ofSeconds(60)).header("Accept", "application/fhir+json");
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    if (body != null) {
      b.header("Content-Type", "application/fhir+json");
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body(), r);
  }

  static String patient(String family, String system, String value) {
    Patient p = new Patient();
    p.addName().setFamily(family);
    if (value != null) {
      p.addIdentifier().setSystem(system).setValue(value);
    }
    return FHIR.newJsonParser().encodeResourceToString(p);
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  Answer conditionalCreate(String family, String value) throws Exception {
    return send("POST", "/Patient", patient(family, SYSTEM, value),
        "If-None-Exist", "identifier=" + enc(SYSTEM + "|" + value));
  }

  int searchCount(String query) throws Exception {
    Answer a = send("GET", "/Patient?" + query, null);
    assertEquals(200, a.status(), a.body());
    return a.parse(Bundle.class).getTotal();
  }

  long rows(String sql) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      assertTrue(rs.next());
      return rs.getLong(1);
    }
  }

  static String idOf(Answer a) {
    return a.parse(Patient.class).getIdElement().getIdPart();
  }

  @Test
  void conditionalCreate_twice_secondAnswers200WithTheSameResourceAndNoDuplicate()
      throws Exception {
    String value = "MRN-" + UUID.randomUUID();
    Answer first = conditionalCreate("Chalmers", value);
    assertEquals(201, first.status(), first.body());
    assertTrue(first.header("Location").contains("/Patient/" + idOf(first) + "/_history/1"),
        first.header("Location"));
    Answer second = conditionalCreate("Chalmers (again)", value);
    assertEquals(200, second.status(), second.body());
    assertEquals(idOf(first), idOf(second));
    assertEquals("Chalmers", second.parse(Patient.class).getNameFirstRep().getFamily(),
        "the existing resource, not the new body");
    assertEquals(1, searchCount("identifier=" + enc(SYSTEM + "|" + value)));
    assertEquals(1, searchCount("identifier=" + enc(value)), "value in any system");
    assertEquals(1, rows("SELECT COUNT(*) FROM fhir_resource_version"));
  }

  @Test
  void conditionalCreate_16ConcurrentRequestsForOneIdentifier_createExactlyOneResource()
      throws Exception {
    String value = "MRN-" + UUID.randomUUID();
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Answer>> answers = new ArrayList<>();
    try {
      for (int i = 0; i < threads; i++) {
        String family = "Racer" + i;
        answers.add(pool.submit(() -> {
          go.await();
          return conditionalCreate(family, value);
        }));
      }
      go.countDown();
      int created = 0;
      Set<String> ids = new HashSet<>();
      for (Future<Answer> f : answers) {
        Answer a = f.get(120, TimeUnit.SECONDS);
        assertTrue(a.status() == 201 || a.status() == 200, a.status() + " " + a.body());
        created += a.status() == 201 ? 1 : 0;
        ids.add(idOf(a));
      }
      assertEquals(1, created, "exactly one request created");
      assertEquals(1, ids.size(), "every answer names the same resource: " + ids);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, searchCount("identifier=" + enc(SYSTEM + "|" + value)));
    assertEquals(1, rows("SELECT COUNT(*) FROM fhir_resource WHERE resource_type = 'Patient'"));
  }

  @Test
  void conditionalOperations_racingFromTwoReplicaPools_oneBodyAtATime_oneResource()
      throws Exception {
    String url = databaseUrl;
    try (Database a = Database.open(url, "replica a"); Database b = Database.open(url, "replica b");
        EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(vault)
            .writeKey(key.versionless()).keyPolicy(KeyPolicy.fhirService()).clock(clock).build()) {
      ConditionalRace.Result r =
          ConditionalRace.run(List.of(a.dataSource(), b.dataSource()), crypto, 8, 150);
      assertEquals(1, r.maxBodiesAtOnce(), "the database lock let two bodies in at once");
      assertEquals(1, r.created());
    }
  }

  @Test
  void conditionalCreate_twoMatches_answers412AndCreatesNothing() throws Exception {
    String value = "MRN-" + UUID.randomUUID();
    assertEquals(201, send("POST", "/Patient", patient("A", SYSTEM, value)).status());
    assertEquals(201, send("POST", "/Patient", patient("B", SYSTEM, value)).status());
    Answer a = conditionalCreate("C", value);
    assertEquals(412, a.status(), a.body());
    assertEquals(2, searchCount("identifier=" + enc(value)));
  }

  @Test
  void conditionalCreate_unsupportedCriteria_answer400() throws Exception {
    String body = patient("A", SYSTEM, "x");
    for (String condition : List.of("name=A", "identifier:text=x", "identifier=x&birthdate=2000",
        "Observation?identifier=x", "identifier=", "_id=")) {
      Answer a = send("POST", "/Patient", body, "If-None-Exist", condition);
      assertEquals(400, a.status(), condition + ": " + a.body());
    }
    assertEquals(0, rows("SELECT COUNT(*) FROM fhir_resource"));
  }

  @Test
  void conditionalCreate_byIdAndIdentifierForms_matchAsFhirSays() throws Exception {
    String value = "MRN-" + UUID.randomUUID();
    String id = idOf(send("POST", "/Patient", patient("A", SYSTEM, value)));
    assertEquals(200, send("POST", "/Patient", patient("B", null, null),
        "If-None-Exist", "_id=" + id).status());
    assertEquals(200, send("POST", "/Patient", patient("B", null, null),
        "If-None-Exist", "Patient?identifier=" + enc(SYSTEM + "|")
            + "&identifier=" + enc(value)).status(), "system| and value, both must hold");
    assertEquals(201, send("POST", "/Patient", patient("B", null, null),
        "If-None-Exist", "identifier=" + enc("|" + value)).status(), "|value: no system only");
    assertEquals(201, send("POST", "/Patient", patient("C", null, null),
        "If-None-Exist", "identifier=" + enc("urn:other|" + value)).status());
  }

  @Test
  void identifierIndex_followsUpdatesAndDeletes() throws Exception {
    String value = "MRN-" + UUID.randomUUID();
    String id = idOf(conditionalCreate("A", value));
    Patient changed = new Patient();
    changed.setId(id);
    changed.addIdentifier().setSystem(SYSTEM).setValue(value + "-new");
    assertEquals(200, send("PUT", "/Patient/" + id,
        FHIR.newJsonParser().encodeResourceToString(changed)).status());
    assertEquals(0, searchCount("identifier=" + enc(value)));
    assertEquals(1, searchCount("identifier=" + enc(value + "-new")));
    assertEquals(204 / 100, send("DELETE", "/Patient/" + id, null).status() / 100);
    assertEquals(0, searchCount("identifier=" + enc(value + "-new")));
    Answer again = conditionalCreate("B", value + "-new");
    assertEquals(201, again.status(), "a deleted resource does not match");
    assertNotEquals(id, idOf(again));
  }

  @Test
  void conditionalUpdate_noneOneSeveral_createUpdateOr412() throws Exception {
    String value = "MRN-" + UUID.randomUUID();
    String query = "/Patient?identifier=" + enc(SYSTEM + "|" + value);
    Answer created = send("PUT", query, patient("A", SYSTEM, value));
    assertEquals(201, created.status(), created.body());
    String id = idOf(created);
    assertTrue(created.header("Location").contains("/Patient/" + id), created.header("Location"));

    Answer updated = send("PUT", query, patient("A2", SYSTEM, value));
    assertEquals(200, updated.status(), updated.body());
    assertEquals(id, idOf(updated));
    assertEquals("2", updated.parse(Patient.class).getMeta().getVersionId());
    assertEquals("A2", send("GET", "/Patient/" + id, null).parse(Patient.class)
        .getNameFirstRep().getFamily());

    Patient wrongId = new Patient();
    wrongId.setId("someone-else");
    wrongId.addIdentifier().setSystem(SYSTEM).setValue(value);
    assertEquals(400, send("PUT", query,
        FHIR.newJsonParser().encodeResourceToString(wrongId)).status());

    assertEquals(201, send("POST", "/Patient", patient("Twin", SYSTEM, value)).status());
    Answer ambiguous = send("PUT", query, patient("A3", SYSTEM, value));
    assertEquals(412, ambiguous.status(), ambiguous.body());
    assertEquals(2, searchCount("identifier=" + enc(value)));
    assertEquals(400, send("PUT", "/Patient?name=A", patient("A", SYSTEM, value)).status());
  }

  @Test
  void updateAsCreate_newId_answers201WithLocation_thenUpdate200() throws Exception {
    String id = "client-" + UUID.randomUUID().toString().substring(0, 8);
    Patient p = new Patient();
    p.setId(id);
    p.addName().setFamily("Shaw");
    String body = FHIR.newJsonParser().encodeResourceToString(p);
    Answer created = send("PUT", "/Patient/" + id, body);
    assertEquals(201, created.status(), created.body());
    assertTrue(created.header("Location").endsWith("/Patient/" + id + "/_history/1"),
        created.header("Location"));
    assertEquals(1, created.response().headers().allValues("Location").size());
    Answer updated = send("PUT", "/Patient/" + id, body);
    assertEquals(200, updated.status());
    assertEquals("2", updated.parse(Patient.class).getMeta().getVersionId());
  }

  @Test
  void prefer_minimalRepresentationOperationOutcome_shapeTheBody() throws Exception {
    String body = patient("Pref", SYSTEM, "P-" + UUID.randomUUID());
    Answer minimal = send("POST", "/Patient", body, "Prefer", "return=minimal");
    assertEquals(201, minimal.status());
    assertTrue(minimal.body().isEmpty(), minimal.body());
    assertTrue(minimal.header("Location").contains("/Patient/"));

    Answer representation = send("POST", "/Patient", body, "Prefer", "return=representation");
    assertEquals(201, representation.status());
    assertEquals("Pref", representation.parse(Patient.class).getNameFirstRep().getFamily());

    Answer outcome = send("POST", "/Patient", body, "Prefer", "return=OperationOutcome");
    assertEquals(201, outcome.status());
    OperationOutcome oo = outcome.parse(OperationOutcome.class);
    assertTrue(oo.getIssueFirstRep().getDiagnostics().startsWith("Created Patient/"),
        oo.getIssueFirstRep().getDiagnostics());

    String id = idOf(representation);
    Answer updateMinimal = send("PUT", "/Patient/" + id,
        representation.body(), "Prefer", "return=minimal");
    assertEquals(200, updateMinimal.status());
    assertTrue(updateMinimal.body().isEmpty(), updateMinimal.body());
  }

  @Test
  void keyLost_conditionalCreateAndUpdate_answer500KeyNotAccessible() throws Exception {
    String value = "MRN-" + UUID.randomUUID();
    String id = idOf(conditionalCreate("A", value));
    vault.setEnabled(key, false);
    clock.advance(Duration.ofMinutes(1));
    assertEquals(500, send("HEAD", "/Patient/" + id, null).status(), "HEAD as GET");
    for (Answer a : List.of(conditionalCreate("A", value),
        send("PUT", "/Patient?identifier=" + enc(value), patient("B", SYSTEM, value)),
        send("GET", "/Patient?identifier=" + enc(value), null))) {
      assertEquals(500, a.status(), a.body());
      assertTrue(a.body().contains("The customer-managed key is not accessible"), a.body());
    }
  }

  @Test
  void database_holdsNeitherIdentifierValuesNorTheIndexKeyInClear() throws Exception {
    String value = "MRN-" + UUID.randomUUID();
    assertEquals(201, conditionalCreate("A", value).status());
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement("SELECT token FROM fhir_identifier_index");
        ResultSet rs = ps.executeQuery()) {
      int n = 0;
      while (rs.next()) {
        String token = rs.getString(1).trim();
        assertTrue(token.matches("[0-9a-f]{64}"), token);
        assertFalse(token.contains(value));
        n++;
      }
      assertEquals(3, n, "system|value, value, system");
    }
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement("SELECT envelope FROM fhir_index_key");
        ResultSet rs = ps.executeQuery()) {
      assertTrue(rs.next());
      assertTrue(rs.getBytes(1).length > 200, "a cmk envelope (wrapped data key), not 32 bytes");
    }
  }

  @Test
  void capabilityStatement_advertisesConditionalCreateUpdateAndUpdateCreate() throws Exception {
    CapabilityStatement cs = send("GET", "/metadata", null).parse(CapabilityStatement.class);
    CapabilityStatementRestResourceComponent patient = cs.getRestFirstRep().getResource().stream()
        .filter(r -> r.getType().equals("Patient")).findFirst().orElseThrow();
    assertTrue(patient.getConditionalCreate());
    assertTrue(patient.getConditionalUpdate());
    assertTrue(patient.getUpdateCreate());
  }

  /** For subclasses: a direct connection with the given URL and credentials. */
  static Connection open(String url, String user, String password) throws SQLException {
    return user == null ? DriverManager.getConnection(url)
        : DriverManager.getConnection(url, user, password);
  }
}
