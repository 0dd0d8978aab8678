package dev.cmk.benchmarks.tenants;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.tenant.TenantRegistry;
import java.lang.management.ManagementFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Heap per warm tenant: {@code tenants} tenants (default 10,000) are built through a {@link
 * TenantRegistry} and each makes one envelope and reads it back (a write data key and a cached
 * read data key per tenant, its guard confirmed, its canary held). The heap in use after a full GC
 * is read with the {@code MemoryMXBean} before (with the vault's keys already made) and after; the
 * difference divided by the tenants is reported as the auxiliary counter {@code
 * heapBytesPerTenant} (goal: at most 16 KiB). The benchmark itself is the 1 KiB round trip of a
 * random one of these warm tenants, so the tenants stay in use while it runs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class TenantHeapBenchmark {
  /** Warm tenants held. */
  @Param({"10000"})
  public int tenants;

  private TenantSetup setup;
  private TenantRegistry registry;
  private final byte[] plaintext = new byte[1024];
  private static volatile long bytesPerTenant;

  /** Reports the measurement with every iteration. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Heap {
    /** Heap in use per warm tenant, bytes. */
    public long heapBytesPerTenant;

  }

  private static long usedAfterGc() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      used = Math.min(used,
          ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  /** Builds and warms every tenant, measuring the heap before and after. */
  @Setup(Level.Trial)
  public void setUp() {
    setup = new TenantSetup(tenants);
    long before = usedAfterGc();
    registry = setup.registry(tenants);
    for (String id : setup.ids) {
      TenantSetup.warm(registry, id, plaintext);
    }
    long after = usedAfterGc();
    if (registry.stats().resident() != tenants) {
      throw new IllegalStateException("not every tenant is resident: " + registry.stats());
    }
    bytesPerTenant = (after - before) / tenants;
    System.out.printf("%n%d warm tenants: %d bytes of heap per tenant (%.1f KiB)%n", tenants,
        bytesPerTenant, bytesPerTenant / 1024.0);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    registry.close();
  }

  /** {@return the plaintext of a 1 KiB round trip of a random warm tenant} */
  @Benchmark
  public byte[] roundTripOfAWarmTenant(Heap heap) {
    heap.heapBytesPerTenant = bytesPerTenant; // an event counter: the last value stands
    String id = setup.ids.get(ThreadLocalRandom.current().nextInt(tenants));
    EnvelopeCrypto c = registry.crypto(id);
    byte[] aad = TenantSetup.aad(id);
    return c.decrypt(c.encrypt(plaintext, aad), aad);
  }
}
