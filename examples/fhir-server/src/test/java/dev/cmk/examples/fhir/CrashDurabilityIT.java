package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.keystore.KeystoreKeyProvider;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #12, "an answered write survives a crash": the server under load from 16 clients is
 * killed with {@code kill -9} ({@link Process#destroyForcibly()}) three times and restarted on the
 * same database; afterwards every write that was answered 2xx reads back, with its content. On the
 * embedded default database (HSQLDB, commits synced to its log) and on PostgreSQL.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CrashDurabilityIT {
  private static final int CLIENTS = 16;
  /** Answered writes per round before the kill: the kill lands with writes in flight. */
  private static final int WRITES_PER_ROUND = 150;
  private static final Pattern LOCATION = Pattern.compile("/Patient/([^/]+)/_history/");

  @TempDir Path dir;

  @Test
  void killedUnderLoad_everyAnsweredWriteSurvives_embeddedDefault() throws Exception {
    // The default --jdbc-url is relative (./fhir-data): the same engine and settings, here.
    crashAndCheck("jdbc:hsqldb:file:" + dir.resolve("db/fhir"), "memory");
  }

  @Test
  void killedUnderLoad_everyAnsweredWriteSurvives_postgres() throws Exception {
    String pg = TestPostgres.url();
    crashAndCheck(pg, pg);
  }

  private void crashAndCheck(String jdbcUrl, String keyState) throws Exception {
    Files.writeString(dir.resolve("pw"), "correct horse battery staple");
    String key = "crash-" + UUID.randomUUID().toString().substring(0, 8);
    KeystoreKeyProvider.builder().path(dir.resolve("keys.p12")).passwordFile(dir.resolve("pw"))
        .create(true).build().keyManager().orElseThrow().createKey(key, 2048);
    List<String> options = List.of("--jdbc-url", jdbcUrl, "--key-state", keyState,
        "--key-encryption-key-url", "local:" + key,
        "--keystore", dir.resolve("keys.p12").toString(),
        "--keystore-password-file", dir.resolve("pw").toString());
    Map<String, String> answered = new ConcurrentHashMap<>(); // id -> family written
    int inFlightAtKill = 0;
    long t0 = System.nanoTime();
    for (int round = 0; round < 3; round++) {
      ServerProcess server = ServerProcess.start(dir.resolve("server-" + round + ".log"), options);
      long t1 = System.nanoTime();
      inFlightAtKill += load(server, answered, round);
      System.out.printf("round %d: started in %d ms, %d answered, load+kill %d ms%n", round,
          (t1 - t0) / 1_000_000, answered.size(), (System.nanoTime() - t1) / 1_000_000);
      t0 = System.nanoTime();
    }
    assertTrue(answered.size() >= 3 * WRITES_PER_ROUND, "answered " + answered.size());
    assertTrue(inFlightAtKill > 0, "no write was in flight at any kill");
    try (ServerProcess server = ServerProcess.start(dir.resolve("server-final.log"), options)) {
      AtomicInteger missing = new AtomicInteger();
      List<String> lost = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
      try {
        List<Future<?>> reads = new ArrayList<>();
        for (Map.Entry<String, String> e : answered.entrySet()) {
          reads.add(pool.submit(() -> {
            HttpResponse<String> r = server.send("GET", "/Patient/" + e.getKey(), null);
            if (r.statusCode() != 200 || !r.body().contains("\"" + e.getValue() + "\"")) {
              missing.incrementAndGet();
              synchronized (lost) {
                lost.add(e.getKey() + "=" + r.statusCode());
              }
            }
            return null;
          }));
        }
        for (Future<?> f : reads) {
          f.get(2, TimeUnit.MINUTES);
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(0, missing.get(), "answered 2xx but lost after kill -9: " + lost.subList(0,
          Math.min(10, lost.size())) + " of " + answered.size());
    }
  }

  /**
   * 16 clients write until {@link #WRITES_PER_ROUND} were answered in this round, then the server
   * is killed with writes in flight; the clients stop at their first failed request.
   *
   * @return requests that were sent but not answered when the server died
   */
  private static int load(ServerProcess server, Map<String, String> answered, int round)
      throws Exception {
    AtomicInteger thisRound = new AtomicInteger();
    AtomicInteger unanswered = new AtomicInteger();
    AtomicBoolean killed = new AtomicBoolean();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      int client = c;
      running.add(clients.submit(() -> {
        for (int i = 0; ; i++) {
          String family = "Crash" + round + "x" + client + "x" + i;
          HttpResponse<String> r;
          try {
            r = ServerProcess.HTTP.send(HttpRequest.newBuilder(
                    server.base().resolve(URI.create("/Patient")))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/fhir+json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\","
                    + "\"name\":[{\"family\":\"" + family + "\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
          } catch (java.io.IOException e) {
            if (killed.get()) {
              unanswered.incrementAndGet();
              return null;
            }
            throw e;
          }
          if (r.statusCode() / 100 == 2) {
            Matcher m = LOCATION.matcher(r.headers().firstValue("Location").orElse(""));
            assertTrue(m.find(), r.headers().toString());
            answered.put(m.group(1), family);
            thisRound.incrementAndGet();
          } else if (!killed.get()) {
            throw new AssertionError("write answered " + r.statusCode() + ": " + r.body());
          }
        }
      }));
    }
    long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (thisRound.get() < WRITES_PER_ROUND && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    killed.set(true);
    server.kill();
    for (Future<?> f : running) {
      f.get(1, TimeUnit.MINUTES);
    }
    clients.shutdownNow();
    return unanswered.get();
  }
}
