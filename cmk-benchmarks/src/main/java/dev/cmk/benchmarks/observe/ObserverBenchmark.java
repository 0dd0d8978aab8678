package dev.cmk.benchmarks.observe;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.micrometer.CmkMetrics;
import dev.cmk.testkit.InMemoryKeyProvider;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A 1 KiB {@code encrypt} then {@code decrypt} (warm data-key cache, no provider call) with
 * {@code observer=none} (the default {@link dev.cmk.core.CryptoObserver#noop()}: Caffeine's
 * statistics-free cache, nothing timed) and with {@code observer=micrometer} ({@link CmkMetrics}
 * on a {@link SimpleMeterRegistry}: one counter increment per decrypt, the cache hit). The
 * parameter is innermost, so the two are measured back to back in one run; their ratio is the
 * cost of metrics.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ObserverBenchmark {
  private static final byte[] AAD =
      "resourceType=Patient,id=123,version=1".getBytes(StandardCharsets.UTF_8);
  private static final int SIZE = 1024;

  /** {@code none}: no observer; {@code micrometer}: cmk-micrometer on a SimpleMeterRegistry. */
  @Param({"none", "micrometer"})
  public String observer;

  private EnvelopeCrypto crypto;
  private SimpleMeterRegistry registry;
  private byte[] plaintext;

  /** Builds the instance and checks a round trip (and, with metrics, that it was counted). */
  @Setup(Level.Trial)
  public void setUp() {
    InMemoryKeyProvider provider = InMemoryKeyProvider.builder().build();
    KeyReference key = provider.createKey("bench", 2048);
    EnvelopeCryptoBuilder b = EnvelopeCrypto.builder().provider(provider).writeKey(key);
    switch (observer) {
      case "none" -> { }
      case "micrometer" -> {
        registry = new SimpleMeterRegistry();
        CmkMetrics.builder(registry).build().installOn(b);
      }
      default -> throw new IllegalArgumentException("observer must be none or micrometer");
    }
    crypto = b.build();
    plaintext = new byte[SIZE];
    new SplittableRandom(SIZE).nextBytes(plaintext);
    if (!Arrays.equals(roundTrip(), plaintext)) {
      throw new IllegalStateException("set-up round trip failed");
    }
    if (registry != null) {
      Counter hits = registry.get(CmkMetrics.DATAKEY_CACHE_REQUESTS).tag("result", "hit").counter();
      if (hits.count() != 1) {
        throw new IllegalStateException("the metrics did not count the set-up decrypt");
      }
    }
  }

  /** Destroys the cached data keys. */
  @TearDown(Level.Trial)
  public void tearDown() {
    crypto.close();
  }

  /** Encrypts 1 KiB, then decrypts it. */
  @Benchmark
  public byte[] roundTrip() {
    return crypto.decrypt(crypto.encrypt(plaintext, AAD), AAD);
  }
}
