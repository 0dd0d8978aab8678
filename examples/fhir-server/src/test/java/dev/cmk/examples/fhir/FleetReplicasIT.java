package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.keystore.KeystoreKeyProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #12's end-to-end run: three FHIR server processes — one service — on one PostgreSQL
 * database (resources and the fleet's key state) and one key, the keystore demo key (a PKCS#12
 * file all three read, disabled and enabled by its owner in this test process; the loopback Key
 * Vault needs an in-process transport, which separate processes do not have). Time moves by each
 * server's demo clock ({@code POST /$demo-clock}); waits are bounded polls of requests, never
 * sleeps that assert.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class FleetReplicasIT {
  private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
  private static final Duration BOUND = Duration.ofSeconds(60);

  @TempDir Path dir;
  private final List<ServerProcess> servers = new ArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    for (ServerProcess s : servers) {
      s.close();
    }
  }

  private List<String> options(String pg, String key, String name) {
    return List.of("--jdbc-url", pg, "--key-state", pg, "--replica-name", name,
        "--key-encryption-key-url", "local:" + key,
        "--keystore", dir.resolve("keys.p12").toString(),
        "--keystore-password-file", dir.resolve("pw").toString(), "--demo-clock");
  }

  @Test
  void threeReplicas_lossPastGrace_allRefuseUntilOneRefreshes() throws Exception {
    String pg = TestPostgres.url();
    Files.writeString(dir.resolve("pw"), "correct horse battery staple");
    KeystoreKeyProvider owner = KeystoreKeyProvider.builder().path(dir.resolve("keys.p12"))
        .passwordFile(dir.resolve("pw")).create(true).build();
    KeyManager keys = owner.keyManager().orElseThrow();
    // A key name of its own: the fleet state is keyed by the versionless reference.
    String name = "fleet-" + UUID.randomUUID().toString().substring(0, 8);
    KeyReference key = keys.createKey(name, 2048);
    for (int i = 0; i < 3; i++) {
      servers.add(ServerProcess.start(dir.resolve("server-" + i + ".log"),
          options(pg, name, "replica-" + i)));
    }
    var created = servers.get(0).send("POST", "/Patient",
        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Fleet\"}]}");
    assertEquals(201, created.statusCode(), created.body());
    Matcher m = ID.matcher(created.body());
    assertTrue(m.find(), created.body());
    String patient = "/Patient/" + m.group(1);
    for (ServerProcess s : servers) {
      assertEquals(200, s.status("GET", patient));
    }

    // The owner disables the key; each replica sees it at its next check (one probe interval).
    keys.setEnabled(key, false);
    for (ServerProcess s : servers) {
      s.advance(Duration.ofMinutes(1));
      s.awaitStatus(patient, st -> st == 500, BOUND);
    }
    // Past the 30-minute grace on every replica's clock, then access comes back.
    for (ServerProcess s : servers) {
      s.advance(Duration.ofMinutes(31));
      s.awaitStatus("/$cmk-status", st -> st == 200, BOUND);
      awaitState(s, "REFRESH_REQUIRED");
    }
    keys.setEnabled(key, true);
    for (ServerProcess s : servers) {
      s.advance(Duration.ofMinutes(2));
      assertEquals(500, s.status("GET", patient));
      assertState(s, "REFRESH_REQUIRED");
    }

    // A restarted replica comes back refusing: it reads the fleet's state at start.
    servers.get(2).kill();
    servers.set(2, ServerProcess.start(dir.resolve("server-2b.log"),
        options(pg, name, "replica-2")));
    assertEquals(500, servers.get(2).status("GET", patient));
    assertState(servers.get(2), "REFRESH_REQUIRED");
    servers.get(2).advance(Duration.ofMinutes(34)); // the fleet's clocks agree again

    // One explicit refresh, on replica 0: all three answer 200 within one probe interval.
    var refreshed = servers.get(0).send("POST", "/$cmk-refresh", null);
    assertEquals(200, refreshed.statusCode(), refreshed.body());
    assertEquals(200, servers.get(0).status("GET", patient));
    for (ServerProcess s : servers.subList(1, 3)) {
      s.advance(Duration.ofMinutes(1));
      s.awaitStatus(patient, st -> st == 200, BOUND);
    }
    // Store traffic: reads per probe interval and writes per state change, never per request.
    for (ServerProcess s : servers) {
      for (int i = 0; i < 50; i++) {
        assertEquals(200, s.status("GET", patient));
      }
      String status = s.send("GET", "/$cmk-status", null).body();
      assertTrue(status.contains("\"AVAILABLE\""), status);
      assertTrue(status.contains("jdbc (postgresql, table cmk_fleet_state)"), status);
      assertTrue(fleetCount(status, "storeReads") <= 10, status);
      assertTrue(fleetCount(status, "storeWrites") <= 6, status);
    }
  }

  private static long fleetCount(String status, String part) {
    Matcher m = Pattern.compile("\"name\"\\s*:\\s*\"" + part
        + "\"\\s*,\\s*\"valueString\"\\s*:\\s*\"(\\d+)\"").matcher(status);
    assertTrue(m.find(), part + " in " + status);
    return Long.parseLong(m.group(1));
  }

  private static void awaitState(ServerProcess s, String state) throws Exception {
    long end = System.nanoTime() + BOUND.toNanos();
    String body;
    do {
      body = s.send("GET", "/$cmk-status", null).body();
      if (body.contains("\"" + state + "\"")) {
        return;
      }
      s.status("GET", "/Patient?_id=none"); // a data request lets the server check its key
      Thread.sleep(100);
    } while (System.nanoTime() < end);
    assertTrue(false, s.base() + " is not " + state + ": " + body);
  }

  private static void assertState(ServerProcess s, String state) throws Exception {
    String body = s.send("GET", "/$cmk-status", null).body();
    assertTrue(body.contains("\"valueCode\": \"" + state + "\"")
        || body.contains("\"valueCode\":\"" + state + "\""), body);
  }
}
