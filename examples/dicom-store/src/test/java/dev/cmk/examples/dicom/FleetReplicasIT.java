package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.keystore.KeystoreKeyProvider;
import dev.cmk.testkit.azurite.Azurite;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three DICOM store processes ({@code java -p target/lib:target/cmk-example-dicom-store.jar -m
 * ...}, as deployed) on one key (a keystore file they share) and one Azurite container ({@code
 * --key-state azure-blob:...}, connection string from an environment variable), each on its own
 * demo clock: the key disabled for more than 30 minutes and then restored leaves all three
 * answering 500; a restarted one comes back answering 500; one {@code POST /$cmk-refresh} brings
 * all three back to 200 within one probe interval. Time moves only by {@code POST /$demo-clock}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FleetReplicasIT {
  private static final String KEY = "local:dicom-kek";
  private static final String INSTANCE = TestServer.instancePath("1.2.3", "1.2.3.4", "1.2.3.4.5");

  @TempDir Path dir;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void stop() {
    processes.forEach(Process::destroyForcibly);
  }

  /** One replica process; returns its base URI once it listens. */
  private URI start(String name, String container, Azurite azurite, Path keystore, Path password)
      throws IOException {
    List<String> command = DeployedStore.command(List.of(
        "--data-dir", dir.resolve("data-" + name).toString(),
        "--key", KEY,
        "--provider-setting", "path=" + keystore,
        "--provider-setting", "password-file=" + password,
        "--port", "0",
        "--key-state", "azure-blob:" + azurite.blobEndpoint() + "/" + container,
        "--key-state-setting", "connection-string-env=CMK_KEY_STATE_CONNECTION_STRING",
        "--replica-name", name,
        "--demo-clock"));
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectError(dir.resolve(name + ".stderr." + processes.size()).toFile());
    pb.environment().put("CMK_KEY_STATE_CONNECTION_STRING", azurite.connectionString());
    Process p = pb.start();
    processes.add(p);
    DeployedStore.Listening started = DeployedStore.listening(p, () -> name + ": " + stderr(name));
    assertTrue(started.line().contains("key state shared via azure-blob as " + name),
        started.line());
    return started.base();
  }

  private String stderr(String name) {
    try (var files = Files.list(dir)) {
      StringBuilder b = new StringBuilder();
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith(name + ".stderr"))
          .toList()) {
        b.append(Files.readString(f));
      }
      return b.toString();
    } catch (IOException e) {
      return e.toString();
    }
  }

  private HttpResponse<String> send(URI base, String method, String path, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest.Builder r = HttpRequest.newBuilder(base.resolve(path));
    if (body != null) {
      r.header("Content-Type", "application/dicom");
    }
    return http.send(r.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private int get(URI base) throws Exception {
    return send(base, "GET", INSTANCE, null).statusCode();
  }

  private String status(URI base) throws Exception {
    HttpResponse<String> r = send(base, "GET", "/$cmk-status", null);
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  /** Moves a replica's demo clock; the store runs its due probes before answering. */
  private String advance(URI base, String duration) throws Exception {
    HttpResponse<String> r = send(base, "POST", "/$demo-clock?advance=" + duration, null);
    assertEquals(200, r.statusCode(), r.body());
    return TestServer.field(r.body(), "aheadBy");
  }

  /** Advances in 10 s steps (at most 30) until the replica's state is {@code state}. */
  private void advanceUntil(URI base, String state) throws Exception {
    for (int i = 0; i < 30 && !state.equals(TestServer.field(status(base), "state")); i++) {
      advance(base, "PT10S");
    }
    assertEquals(state, TestServer.field(status(base), "state"), status(base));
  }

  @Test
  void threeReplicas_lossPastGraceRestartAndOneRefresh_actAsOneService() throws Exception {
    Azurite azurite = Azurite.shared();
    String container = azurite.createContainer();
    Path keystore = dir.resolve("keys.p12");
    Path password = dir.resolve("keystore-password");
    Files.writeString(password, "test-only-keystore-password");
    KeyReference version;
    try (KeystoreKeyProvider keys = KeystoreKeyProvider.builder().path(keystore)
        .passwordFile(password).create(true).build()) {
      version = keys.keyManager().orElseThrow().createKey("dicom-kek", 3072);
    }

    List<URI> replicas = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      replicas.add(start("dicom-" + i, container, azurite, keystore, password));
    }
    byte[] body = TestServer.dicom(7, 100_000);
    for (URI r : replicas) {
      assertEquals(201, send(r, "PUT", INSTANCE, body).statusCode());
      assertEquals(200, get(r));
      assertEquals("true", TestServer.field(status(r), "known"), status(r));
    }

    // The customer disables the key; every replica finds out at its next probe.
    try (KeystoreKeyProvider keys = KeystoreKeyProvider.builder().path(keystore)
        .passwordFile(password).build()) {
      keys.keyManager().orElseThrow().setEnabled(version, false);
    }
    for (URI r : replicas) {
      advance(r, "PT61S");
      advanceUntil(r, "UNAVAILABLE");
      assertEquals(500, get(r));
    }
    // More than 30 minutes pass on every replica's clock: refresh required, fleet-wide.
    for (URI r : replicas) {
      advance(r, "PT31M");
      advanceUntil(r, "REFRESH_REQUIRED");
    }
    // Access restored: nobody comes back by itself.
    try (KeystoreKeyProvider keys = KeystoreKeyProvider.builder().path(keystore)
        .passwordFile(password).build()) {
      keys.keyManager().orElseThrow().setEnabled(version, true);
    }
    String aheadBy = null;
    for (URI r : replicas) {
      aheadBy = advance(r, "PT61S");
      assertEquals("REFRESH_REQUIRED", TestServer.field(status(r), "state"));
      assertEquals(500, get(r), "key restored, refresh required");
    }

    // Restart replica 2: it starts in the fleet's state, not available.
    processes.get(1).destroy();
    assertTrue(processes.get(1).waitFor(30, TimeUnit.SECONDS));
    replicas.set(1, start("dicom-2", container, azurite, keystore, password));
    assertEquals(500, get(replicas.get(1)), "a restarted replica keeps refresh required");
    assertEquals("REFRESH_REQUIRED", TestServer.field(status(replicas.get(1)), "state"));
    assertNotNull(aheadBy);
    advance(replicas.get(1), aheadBy); // its clock joins the others'
    assertEquals(500, get(replicas.get(1)));

    // One refresh, on replica 3.
    HttpResponse<String> refresh = send(replicas.get(2), "POST", "/$cmk-refresh", null);
    assertEquals(200, refresh.statusCode(), refresh.body());
    assertEquals("AVAILABLE", TestServer.field(refresh.body(), "state"));
    assertEquals(200, get(replicas.get(2)));
    String generation = TestServer.field(status(replicas.get(2)), "generation");

    // Within one probe interval (1 minute) of their clocks, the other two follow.
    for (URI r : List.of(replicas.get(0), replicas.get(1))) {
      advance(r, "PT61S");
      assertEquals("AVAILABLE", TestServer.field(status(r), "state"), status(r));
      assertEquals(generation, TestServer.field(status(r), "generation"));
      assertEquals(200, get(r));
    }
    assertEquals(200, get(replicas.get(2)));
  }
}
