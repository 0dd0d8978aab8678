package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue #16 §4, "example servers behave like servers": a full disk answers 507 with an
 * OperationOutcome; HEAD of a resource whose stored envelope fails authentication does not
 * answer 200. The real server in Jetty over a real H2 database, seen through {@link
 * DiskFullDataSource}.
 */
class ServerBehaviourIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final AtomicReference<DiskFullDataSource.Mode> full = new AtomicReference<>();
  private JdbcConnectionPool pool;
  private FhirServer server;

  @BeforeEach
  void start() {
    TestVault keys = TestVault.create();
    pool = JdbcConnectionPool.create("jdbc:h2:mem:" + UUID.randomUUID(), "sa", "");
    server = FhirServer.builder().port(0).clock(keys.clock()).backgroundProbe(false)
        .dataSource(DiskFullDataSource.wrap(pool, full::get))
        .keyConfiguration(keys::configuration).build().start();
  }

  @AfterEach
  void stop() {
    server.close();
    pool.dispose();
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
        .timeout(Duration.ofSeconds(30)).header("Accept", "application/fhir+json");
    if (body != null) {
      b.header("Content-Type", "application/fhir+json");
    }
    return HTTP.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private String create() throws Exception {
    HttpResponse<String> r = send("POST", "/Patient",
        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Full\"}]}");
    assertEquals(201, r.statusCode(), r.body());
    return r.headers().firstValue("Location").orElseThrow()
        .replaceAll(".*/Patient/([^/]+)/_history/.*", "$1");
  }

  private void diskFull_answers507(DiskFullDataSource.Mode mode) throws Exception {
    String id = create();
    full.set(mode);
    for (HttpResponse<String> r : List.of(
        send("POST", "/Patient", "{\"resourceType\":\"Patient\"}"),
        send("PUT", "/Patient/" + id, "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\"}"),
        send("DELETE", "/Patient/" + id, null))) {
      assertEquals(507, r.statusCode(), r.body());
      assertTrue(r.body().contains("\"resourceType\": \"OperationOutcome\""), r.body());
      assertTrue(r.body().contains("\"code\": \"no-store\""), r.body());
      assertTrue(r.body().contains("out of disk space"), r.body());
    }
    assertEquals(200, send("GET", "/Patient/" + id, null).statusCode(), "reads still work");
    full.set(null);
    create();
    assertEquals(200, send("GET", "/Patient/" + id, null).statusCode());
  }

  @Test
  void diskFull_postgresDiskFullState_answers507WithOperationOutcome() throws Exception {
    diskFull_answers507(DiskFullDataSource.Mode.POSTGRES_53100);
  }

  @Test
  void diskFull_embeddedEngineEnospc_answers507WithOperationOutcome() throws Exception {
    diskFull_answers507(DiskFullDataSource.Mode.EMBEDDED_ENOSPC);
  }

  @Test
  void otherStorageFailure_staysA500() throws Exception {
    create();
    pool.dispose(); // the database is gone, the disk is not full
    HttpResponse<String> r = send("POST", "/Patient", "{\"resourceType\":\"Patient\"}");
    assertEquals(500, r.statusCode(), r.body());
  }

  @Test
  void head_ofAResourceWhoseEnvelopeFailsAuthentication_isNot200() throws Exception {
    String good = create();
    String bad = create();
    HttpResponse<String> ok = send("HEAD", "/Patient/" + good, null);
    assertEquals(200, ok.statusCode());
    assertTrue(ok.body().isEmpty());
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("UPDATE fhir_resource_version SET envelope ="
            + " (SELECT envelope FROM fhir_resource_version WHERE resource_id = ?)"
            + " WHERE resource_id = ?")) {
      ps.setString(1, good);
      ps.setString(2, bad);
      assertEquals(1, ps.executeUpdate(), "another patient's envelope copied onto " + bad);
    }
    assertEquals(500, send("GET", "/Patient/" + bad, null).statusCode());
    HttpResponse<String> head = send("HEAD", "/Patient/" + bad, null);
    assertEquals(500, head.statusCode(), "HEAD decrypts as GET does, and fails as GET does");
    assertEquals(500, send("HEAD", "/Patient/" + bad + "/_history/1", null).statusCode());
  }
}
