package dev.cmk.benchmarks.tenants;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.tenant.TenantRegistry;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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
 * Isolation: the 1 KiB round-trip throughput of a healthy tenant ({@code isolation:healthy})
 * while a neighbour tenant on the same shared provider is hammered by a second thread ({@code
 * isolation:neighbour}). With {@code neighbour=revoked} the neighbour's key was disabled by its
 * customer and every one of its requests fails with {@link KeyAccessSuspendedException} while the
 * registry keeps probing it; with {@code neighbour=healthy} the neighbour's requests succeed. The
 * claim is the ratio healthy(revoked) / healthy(healthy), goal at least 0.95: a revoked tenant
 * costs the others nothing. 1,000 warm tenants, real clock, the registry's own probe wheel.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class TenantIsolationBenchmark {
  private static final String HEALTHY = "tenant-00000";
  private static final String NEIGHBOUR = "tenant-00001";

  /** The neighbour's state: {@code healthy} or {@code revoked}. */
  @Param({"healthy", "revoked"})
  public String neighbour;

  private TenantSetup setup;
  private TenantRegistry registry;
  private final byte[] plaintext = new byte[1024];

  /** 1,000 warm tenants; with {@code revoked}, the neighbour's key disabled and found so. */
  @Setup(Level.Trial)
  public void setUp() {
    setup = new TenantSetup(1000);
    registry = setup.registry(10_000);
    for (String id : setup.ids) {
      TenantSetup.warm(registry, id, plaintext);
    }
    if (neighbour.equals("revoked")) {
      setup.vault.setEnabled(setup.versions.get(NEIGHBOUR), false);
      try {
        registry.crypto(NEIGHBOUR).keyAccess().refresh(); // the guard checks now
        throw new IllegalStateException("the revoked key was still accepted");
      } catch (KeyProviderException expected) {
        // the neighbour's guard is now open
      }
      if (registry.status(NEIGHBOUR).state() != KeyAccessState.UNAVAILABLE) {
        throw new IllegalStateException("neighbour not unavailable: "
            + registry.status(NEIGHBOUR));
      }
    } else if (!neighbour.equals("healthy")) {
      throw new IllegalArgumentException("neighbour must be healthy or revoked");
    }
    // The same JIT warm-up on both sides: the healthy path, and the neighbour's path as it is
    // in this run (round trips, or refusals), so that neither fork starts measuring cold.
    for (int i = 0; i < 200_000; i++) {
      healthy();
      neighbour();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    registry.close();
  }

  private byte[] roundTrip(String tenant) {
    EnvelopeCrypto c = registry.crypto(tenant);
    byte[] aad = TenantSetup.aad(tenant);
    return c.decrypt(c.encrypt(plaintext, aad), aad);
  }

  /** {@return a healthy tenant's 1 KiB round trip} */
  @Benchmark
  @Group("isolation")
  @GroupThreads(1)
  public byte[] healthy() {
    return roundTrip(HEALTHY);
  }

  /** {@return the neighbour's round trip, or its refusal} */
  @Benchmark
  @Group("isolation")
  @GroupThreads(1)
  public Object neighbour() {
    try {
      return roundTrip(NEIGHBOUR);
    } catch (KeyAccessSuspendedException refused) {
      return refused;
    }
  }
}
