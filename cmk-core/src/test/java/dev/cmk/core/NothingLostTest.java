package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cmk.api.CmkException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.Fault;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Nothing lost: under a randomized schedule of faults, rotations and guard transitions with
 * concurrent writers and readers, every write that reported success decrypts at the end and every
 * write that failed left nothing behind. Also: only documented exceptions, from every thread,
 * across every transition.
 */
class NothingLostTest {
  private static final Set<Class<?>> EXPECTED_FAILURES =
      Set.of(KeyAccessSuspendedException.class, KeyProviderUnavailableException.class);

  @Test
  void randomizedFaultsAndRotations_everyAcknowledgedWriteDecrypts() throws Exception {
    long seed = Long.getLong("cmk.test.seed", System.nanoTime());
    Random random = new Random(seed);
    ManualClock clock = ManualClock.create();
    InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
    FaultInjectingProvider faults = FaultInjectingProvider.wrapping(provider);
    KeyReference v1 = provider.manager().createKey("nothing-lost", 2048);
    List<KeyReference> versions = new ArrayList<>(List.of(v1));
    EnvelopeCrypto crypto = EnvelopeCrypto.builder()
        .provider(faults)
        .writeKey(v1.versionless())
        .clock(clock)
        .sleeper(d -> clock.advance(d))
        .segmentSize(256)
        .dataKeyLimits(new DataKeyLimits(20, Long.MAX_VALUE, Duration.ofMinutes(10)))
        .build();

    Map<String, byte[]> store = new ConcurrentHashMap<>();
    Map<String, byte[]> expected = new ConcurrentHashMap<>();
    AtomicLong failedWrites = new AtomicLong();
    AtomicLong leftovers = new AtomicLong();
    AtomicLong reads = new AtomicLong();
    AtomicLong attempts = new AtomicLong();
    List<Throwable> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      int worker = w;
      workers.add(pool.submit(() -> {
        Random r = new Random(seed + worker);
        int n = 0;
        while (!stop.get()) {
          String id = "w" + worker + "-" + n++;
          byte[] aad = id.getBytes(StandardCharsets.UTF_8);
          byte[] data = new byte[r.nextInt(1200)];
          r.nextBytes(data);
          attempts.incrementAndGet();
          try {
            if (r.nextBoolean()) {
              store.put(id, crypto.encrypt(data, aad));
            } else {
              ByteArrayOutputStream sink = new ByteArrayOutputStream();
              OutputStream out;
              try {
                out = crypto.encryptingStream(sink, aad);
              } catch (CmkException e) {
                if (sink.size() != 0) {
                  leftovers.incrementAndGet();
                }
                throw e;
              }
              out.write(data);
              out.close();
              store.put(id, sink.toByteArray());
            }
            expected.put(id, data);
          } catch (CmkException e) {
            failedWrites.incrementAndGet();
            if (!EXPECTED_FAILURES.contains(e.getClass())) {
              unexpected.add(e);
            }
            Thread.yield();
          } catch (IOException e) {
            unexpected.add(e);
          }
          // Read back something random that was acknowledged.
          if (!expected.isEmpty() && r.nextInt(3) == 0) {
            String any = id;
            byte[] envelope = store.get(any);
            if (envelope != null) {
              try {
                assertArrayEquals(expected.get(any), crypto.decrypt(envelope, any.getBytes(StandardCharsets.UTF_8)));
                reads.incrementAndGet();
              } catch (CmkException e) {
                if (!EXPECTED_FAILURES.contains(e.getClass())) {
                  unexpected.add(e);
                }
              }
            }
          }
        }
        return null;
      }));
    }

    int trips = 0;
    for (int step = 0; step < 80; step++) {
      switch (random.nextInt(8)) {
        case 0:
          if (versions.size() < 8) {
            versions.add(provider.manager().rotateKey(v1));
          }
          break;
        case 1:
          provider.manager().setEnabled(versions.get(versions.size() - 1), false);
          break;
        case 2:
          for (KeyReference v : versions) {
            provider.manager().setEnabled(v, true);
          }
          break;
        case 3:
          faults.failNext(Operation.values()[random.nextInt(Operation.values().length)],
              1 + random.nextInt(3), Fault.transientFailure());
          break;
        case 4:
          faults.failNext(Operation.WRAP, 1, Fault.denied());
          break;
        case 5:
          if (crypto.keyAccess().status().state() == KeyAccessState.REFRESH_REQUIRED) {
            trips++;
            for (KeyReference v : versions) {
              provider.manager().setEnabled(v, true);
            }
            try {
              crypto.keyAccess().refresh();
            } catch (CmkException stillBroken) {
              // a fault may be pending; the next steps will retry
            }
          }
          break;
        case 6:
          clock.advance(Duration.ofMinutes(31)); // long outages lock the guard
          break;
        default:
          break;
      }
      clock.advance(Duration.ofSeconds(5 + random.nextInt(120)));
      // Pace the schedule by the workers' progress, not by wall time, so a slow CI machine sees
      // the same number of attempts per step as a fast one.
      awaitAtLeast(attempts, attempts.get() + 12);
    }

    // Recovery: the customer restores access and the operator refreshes; writes must succeed again.
    faults.clearFaults();
    for (KeyReference v : versions) {
      provider.manager().setEnabled(v, true);
    }
    if (crypto.keyAccess().status().state() == KeyAccessState.REFRESH_REQUIRED) {
      trips++;
      crypto.keyAccess().refresh();
    }
    clock.advance(Duration.ofMinutes(1));
    int beforeRecovery = expected.size();
    awaitAtLeast(() -> expected.size(), beforeRecovery + 60);
    stop.set(true);
    for (Future<?> f : workers) {
      f.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();

    // Restore everything, then every acknowledged write must decrypt with a fresh reader.
    faults.clearFaults();
    for (KeyReference v : versions) {
      provider.manager().setEnabled(v, true);
    }
    EnvelopeCrypto reader = EnvelopeCrypto.builder().provider(faults).clock(clock).build();
    for (Map.Entry<String, byte[]> e : expected.entrySet()) {
      byte[] envelope = store.get(e.getKey());
      try {
        assertArrayEquals(e.getValue(), reader.decrypt(envelope, e.getKey().getBytes(StandardCharsets.UTF_8)));
      } catch (CmkException ex) {
        fail("acknowledged write " + e.getKey() + " does not decrypt (seed " + seed + "): " + ex);
      }
    }
    assertEquals(expected.keySet(), store.keySet(), "no failed write left an object behind");
    assertEquals(0, leftovers.get(), "a refused stream wrote nothing");
    assertTrue(unexpected.isEmpty(), "unexpected exceptions (seed " + seed + "): " + unexpected);
    assertTrue(expected.size() >= beforeRecovery + 60,
        "writes succeed after access is restored (seed " + seed + "): " + beforeRecovery + " -> " + expected.size());
    assertTrue(failedWrites.get() > 0, "faults were actually hit (seed " + seed + ")");
    assertTrue(reads.get() > 0);
    System.out.printf("nothing-lost seed=%d writes=%d (during faults %d) failed=%d reads=%d refreshes=%d versions=%d%n",
        seed, expected.size(), beforeRecovery, failedWrites.get(), reads.get(), trips, versions.size());
  }

  private static void awaitAtLeast(AtomicLong counter, long target) throws InterruptedException {
    awaitAtLeast(counter::get, target);
  }

  /** Waits (at most 20 s of wall time) until {@code counter} reaches {@code target}. */
  private static void awaitAtLeast(java.util.function.LongSupplier counter, long target)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (counter.getAsLong() < target && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
  }
}
