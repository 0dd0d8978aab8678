package dev.cmk.core.tenant;

import static dev.cmk.core.tenant.TenantFixture.aad;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.CmkException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.core.KeyAccessStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Many threads on many tenants: a revoked tenant fails alone, and a tenant whose vault hangs
 * (build, probe) holds no lock that another tenant's build, probe or request needs.
 */
class TenantConcurrencyTest {
  private static final String VICTIM = "tenant-0041";

  @Test
  void manyThreadsManyTenants_oneKeyRevokedMidway_onlyThatTenantFails() throws Exception {
    try (TenantFixture f = new TenantFixture(200, b -> b.probeExecutor(Runnable::run))) {
      Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
      AtomicLong suspended = new AtomicLong();
      AtomicLong ok = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch revoked = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> workers = new ArrayList<>();
      try {
        for (int w = 0; w < 8; w++) {
          workers.add(pool.submit(() -> {
            long after = 0;
            while (!stop.get()) {
              String id = f.ids.get(ThreadLocalRandom.current().nextInt(f.ids.size()));
              try {
                f.roundTrip(id);
                ok.incrementAndGet();
              } catch (CmkException e) {
                failures.computeIfAbsent(id, x -> new AtomicLong()).incrementAndGet();
                if (e instanceof KeyAccessSuspendedException) {
                  suspended.incrementAndGet();
                }
              }
              if (revoked.getCount() == 0 && ++after >= 400) {
                return null;
              }
            }
            return null;
          }));
        }
        while (ok.get() < 400) {
          Thread.onSpinWait();
        }
        f.revoke(VICTIM);
        f.clock.advance(Duration.ofSeconds(61)); // every confirmation is stale: requests probe
        revoked.countDown();
        for (Future<?> w : workers) {
          w.get(300, TimeUnit.SECONDS);
        }
      } finally {
        stop.set(true);
        pool.shutdownNow();
      }
      f.roundTrip("tenant-0000");
      assertEquals(java.util.Set.of(), failures.keySet().stream()
          .filter(id -> !id.equals(VICTIM)).collect(java.util.stream.Collectors.toSet()),
          "no other tenant ever failed");
      try {
        f.roundTrip(VICTIM);
      } catch (KeyAccessSuspendedException expected) {
        suspended.incrementAndGet();
      }
      assertTrue(suspended.get() > 0, "the victim's requests were suspended");
    }
  }

  @Test
  void oneTenantsVaultHangs_otherTenantsBuildProbeAndServeMeanwhile() throws Exception {
    ExecutorService probes = Executors.newFixedThreadPool(2);
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try (TenantFixture f = new TenantFixture(60, b -> b.probeExecutor(probes))) {
      for (int i = 0; i < 30; i++) {
        f.roundTrip(f.ids.get(i));
      }
      // A probe of the victim hangs in its vault.
      CountingProvider vault = f.providerOf(VICTIM);
      f.roundTrip(VICTIM);
      vault.hold(f.config.get(VICTIM).key());
      f.clock.advance(Duration.ofSeconds(61));
      f.registry.probeTick();
      assertTrue(vault.holding.await(60, TimeUnit.SECONDS), "the victim's probe is hanging");
      probes.submit(() -> { }).get(60, TimeUnit.SECONDS); // the other probes ran meanwhile
      Instant now = f.clock.instant();
      for (int i = 0; i < 30; i++) {
        String id = f.ids.get(i);
        if (!id.equals(VICTIM)) {
          KeyAccessStatus s = f.registry.status(id);
          assertEquals(now, s.lastConfirmed(), id + " was probed while the victim hung");
        }
      }
      // A build of a new tenant on the same vault, and requests of everyone else, proceed.
      List<Future<?>> others = new ArrayList<>();
      for (int i = 30; i < 60; i++) {
        String id = f.ids.get(i);
        if (!id.equals(VICTIM)) {
          others.add(callers.submit(() -> f.roundTrip(id)));
        }
      }
      for (Future<?> o : others) {
        o.get(120, TimeUnit.SECONDS);
      }
      assertFalse(others.isEmpty());
      vault.release();
      f.run(Duration.ofSeconds(1), Duration.ofSeconds(1));
      byte[] e = f.registry.crypto(VICTIM).encrypt(TenantFixture.DATA, aad(VICTIM));
      assertTrue(e.length > 0);
    } finally {
      probes.shutdownNow();
      callers.shutdownNow();
    }
  }
}
