package dev.cmk.examples.fhir.internal;

import dev.cmk.core.EnvelopeCrypto;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Races conditional creates through {@link ConditionalOperations} directly, from several
 * "replicas" (one connection pool and one {@link ConditionalOperations} each) on one database.
 * Each body, once inside, waits up to {@code window} for the other threads to arrive too: without
 * a lock that holds across pools they all get in, all see zero matches and all create, so the
 * test that uses this can fail; with the lock only one body runs at a time.
 */
public final class ConditionalRace {
  /**
   * What the race did.
   *
   * @param created resources created
   * @param maxBodiesAtOnce the most bodies that ran at the same time
   */
  public record Result(int created, int maxBodiesAtOnce) {}

  private ConditionalRace() {}

  /**
   * Runs {@code threads} conditional creates for one identifier, spread over {@code replicas}.
   *
   * @param replicas one data source per replica, all on the same database
   * @param crypto the envelope crypto (the same customer key as the server's)
   * @param threads concurrent requests
   * @param windowMillis how long a body waits for the others to arrive
   * @return what happened
   */
  public static Result run(List<DataSource> replicas, EnvelopeCrypto crypto, int threads,
      long windowMillis) throws Exception {
    String value = "RACE-" + UUID.randomUUID();
    ConditionalUrl condition = ConditionalUrl.parse("Patient", "identifier=urn:race%7C" + value);
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch arrived = new CountDownLatch(threads);
    AtomicInteger inBody = new AtomicInteger();
    AtomicInteger maxInBody = new AtomicInteger();
    AtomicInteger created = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        DataSource ds = replicas.get(i % replicas.size());
        done.add(pool.submit(() -> {
          ResourceStore store = new ResourceStore(ds, crypto);
          BlindIndex.Hasher hasher = new BlindIndex(ds, crypto).hasher();
          Set<String> tokens = Set.of(hasher.systemAndValue("urn:race", value));
          go.await();
          return new ConditionalOperations(ds).run("Patient", condition, hasher, (tx, m) -> {
            maxInBody.accumulateAndGet(inBody.incrementAndGet(), Math::max);
            try {
              arrived.countDown();
              arrived.await(windowMillis, TimeUnit.MILLISECONDS);
              if (m.isEmpty()) {
                store.writeIn(tx, "Patient", UUID.randomUUID().toString(), 0, Instant.now(),
                    "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8), tokens);
                created.incrementAndGet();
              }
              return null;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException(e);
            } finally {
              inBody.decrementAndGet();
            }
          });
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    return new Result(created.get(), maxInBody.get());
  }
}
