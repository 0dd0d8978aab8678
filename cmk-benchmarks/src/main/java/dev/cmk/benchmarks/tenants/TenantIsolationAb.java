package dev.cmk.benchmarks.tenants;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.core.tenant.TenantRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cross-check of {@link TenantIsolationBenchmark} in one JVM, for machines too noisy for two
 * forks to be compared: after a warm-up, it alternates rounds with the neighbour healthy and
 * rounds with the neighbour's key revoked (then restored through {@code refresh}), each round
 * measuring the healthy tenant's 1 KiB round trips per second while a second thread hammers the
 * neighbour, and prints the median of each state and their ratio.
 *
 * <p>{@code java -cp cmk-benchmarks/target/benchmarks.jar
 * dev.cmk.benchmarks.tenants.TenantIsolationAb [rounds per state] [seconds per round]}
 */
public final class TenantIsolationAb {
  private static final String HEALTHY = "tenant-00000";
  private static final String NEIGHBOUR = "tenant-00001";

  private TenantIsolationAb() {}

  /**
   * Runs the comparison.
   *
   * @param args rounds per state (default 6), seconds per round (default 4)
   * @throws InterruptedException if interrupted
   */
  public static void main(String[] args) throws InterruptedException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 6;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    TenantSetup setup = new TenantSetup(1000);
    byte[] plaintext = new byte[1024];
    try (TenantRegistry registry = setup.registry(10_000)) {
      for (String id : setup.ids) {
        TenantSetup.warm(registry, id, plaintext);
      }
      for (int i = 0; i < 4; i++) {
        round(registry, plaintext, seconds); // JIT warm-up, discarded
      }
      List<Long> healthy = new ArrayList<>();
      List<Long> revoked = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        healthy.add(round(registry, plaintext, seconds));
        setup.vault.setEnabled(setup.versions.get(NEIGHBOUR), false);
        try {
          registry.crypto(NEIGHBOUR).keyAccess().refresh();
        } catch (KeyProviderException expected) {
          // the neighbour's guard is open now
        }
        revoked.add(round(registry, plaintext, seconds));
        setup.vault.setEnabled(setup.versions.get(NEIGHBOUR), true);
        registry.refresh(NEIGHBOUR);
      }
      long h = median(healthy);
      long v = median(revoked);
      System.out.printf("healthy tenant, neighbour healthy: %s -> median %d ops/s%n", healthy, h);
      System.out.printf("healthy tenant, neighbour revoked: %s -> median %d ops/s%n", revoked, v);
      System.out.printf("ratio revoked / healthy: %.2f%n", (double) v / h);
    }
  }

  private static long median(List<Long> l) {
    List<Long> s = new ArrayList<>(l);
    s.sort(null);
    return s.size() % 2 == 1 ? s.get(s.size() / 2)
        : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
  }

  /** One round: the healthy tenant's round trips per second while the neighbour is hammered. */
  private static long round(TenantRegistry registry, byte[] plaintext, int seconds)
      throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong ops = new AtomicLong();
    Thread healthy = new Thread(() -> {
      while (!stop.get()) {
        TenantSetup.warm(registry, HEALTHY, plaintext);
        ops.incrementAndGet();
      }
    });
    Thread neighbour = new Thread(() -> {
      while (!stop.get()) {
        try {
          TenantSetup.warm(registry, NEIGHBOUR, plaintext);
        } catch (KeyAccessSuspendedException refused) {
          // what its requests get while its key is revoked
        }
      }
    });
    healthy.start();
    neighbour.start();
    Thread.sleep(seconds * 1000L);
    stop.set(true);
    healthy.join();
    neighbour.join();
    return ops.get() / seconds;
  }
}
