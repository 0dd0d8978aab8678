package dev.cmk.benchmarks.tenants;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.tenant.TenantRegistry;
import java.lang.management.ManagementFactory;
import java.util.concurrent.ThreadLocalRandom;
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
 * Heap per warm tenant: {@code tenants} tenants (default 10,000) are built through a {@link
 * TenantRegistry} and each makes one envelope and reads it back (a write data key and a cached
 * read data key per tenant, its guard confirmed, its canary held). The heap in use after a full GC
 * is read with the {@code MemoryMXBean} before (with the vault's keys already made) and after; the
 * difference divided by the tenants is printed to the run's log as "N warm tenants: B bytes of
 * heap per tenant" (goal: at most 16 KiB). The benchmark itself is the 1 KiB round trip of a
 * random one of these warm tenants, so the tenants stay in use while it runs; its throughput is
 * bounded by the in-memory vault, which pays an RSA-2048 private-key operation for every probe
 * (10,000 tenants probing once a minute are about 170 probes per second, on this machine's CPU
 * here, in the key vault in production), so it is context, not a claim.
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
  private long bytesPerTenant;


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
  public byte[] roundTripOfAWarmTenant() {
    String id = setup.ids.get(ThreadLocalRandom.current().nextInt(tenants));
    EnvelopeCrypto c = registry.crypto(id);
    byte[] aad = TenantSetup.aad(id);
    return c.decrypt(c.encrypt(plaintext, aad), aad);
  }
}
