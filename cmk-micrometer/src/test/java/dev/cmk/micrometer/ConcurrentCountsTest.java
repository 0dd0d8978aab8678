package dev.cmk.micrometer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KekOperation;
import dev.cmk.core.KekOutcome;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Counters stay exact when many threads use one instance (and one observer) at once. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConcurrentCountsTest {
  private static final int THREADS = 8;

  @Test
  void concurrentDecrypts_cacheRequestsAndUnwrapsExact() throws Exception {
    ManualClock clock = ManualClock.create();
    InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
    KeyReference key = provider.manager().createKey("concurrent", 2048).versionless();
    EnvelopeCrypto writer = EnvelopeCrypto.builder().provider(provider).writeKey(key)
        .clock(clock).dataKeyLimits(DataKeyLimits.singleUse()).build();
    byte[] aad = "Study/1".getBytes(StandardCharsets.UTF_8);
    List<byte[]> envelopes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      envelopes.add(writer.encrypt(new byte[] {(byte) i}, aad)); // 5 distinct data keys
    }
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EnvelopeCrypto reader = CmkMetrics.builder(registry).build()
        .installOn(EnvelopeCrypto.builder().provider(provider).writeKey(key).clock(clock))
        .build();
    Timer unwraps = registry.get(CmkMetrics.KEK_CALLS)
        .tags("operation", "unwrap", "outcome", "success").timer();
    long unwrapsAtBuild = unwraps.count();

    int perThread = 250;
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int offset = t;
      done.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < perThread; i++) {
          int n = (i + offset) % envelopes.size();
          assertArrayEquals(new byte[] {(byte) n}, reader.decrypt(envelopes.get(n), aad));
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();

    double hits = registry.get(CmkMetrics.DATAKEY_CACHE_REQUESTS).tag("result", "hit").counter().count();
    double misses = registry.get(CmkMetrics.DATAKEY_CACHE_REQUESTS).tag("result", "miss").counter().count();
    assertEquals(THREADS * perThread, hits + misses, "every lookup counted once");
    assertEquals(5, misses, "one miss per data key (loads are single-flight)");
    assertEquals(5, unwraps.count() - unwrapsAtBuild, "one unwrap per miss");
  }

  @Test
  void concurrentObserverCalls_countsExact() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MeterObserver observer = new MeterObserver(registry, Tags.of("instance", "x"));
    int perThread = 10_000;
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      String provider = t % 2 == 0 ? "p-even" : "p-odd"; // timers created concurrently, once
      done.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < perThread; i++) {
          observer.kekCall(provider, KekOperation.UNWRAP, KekOutcome.SUCCESS, 1_000);
          observer.dataKeyCacheHits(1);
          observer.dataKeyCacheMisses(2);
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();
    for (String p : List.of("p-even", "p-odd")) {
      Timer timer = registry.get(CmkMetrics.KEK_CALLS).tags("provider", p,
          "operation", "unwrap", "outcome", "success").timer();
      assertEquals(THREADS / 2 * perThread, timer.count());
      assertEquals(THREADS / 2 * perThread * 1_000L, (long) timer.totalTime(TimeUnit.NANOSECONDS));
    }
    Counter hits = registry.get(CmkMetrics.DATAKEY_CACHE_REQUESTS).tag("result", "hit").counter();
    Counter misses = registry.get(CmkMetrics.DATAKEY_CACHE_REQUESTS).tag("result", "miss").counter();
    assertEquals(THREADS * perThread, hits.count());
    assertEquals(2 * THREADS * perThread, misses.count());
  }
}
