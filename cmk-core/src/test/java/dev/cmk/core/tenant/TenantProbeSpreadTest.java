package dev.cmk.core.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.core.KeyAccessSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A thousand tenants first used in the same second: the shared wheel probes each tenant's key once
 * per its interval (never later than the configured one), and the tenants' probes spread out
 * instead of hitting the vaults in the same second every interval.
 */
class TenantProbeSpreadTest {

  @Test
  void thousandTenantsBuiltTogether_probesSpread_oneProbePerTenantKeyPerInterval() {
    try (TenantFixture f = new TenantFixture(1000, b -> b.probeExecutor(Runnable::run))) {
      for (String id : f.ids) {
        f.registry.crypto(id);
      }
      Instant built = f.clock.instant();
      long unwrapsBefore = f.providers.values().stream().mapToLong(p -> p.unwraps.get()).sum();
      long busiest = 0;
      long total = 0;
      for (int second = 1; second <= 180; second++) {
        long before = f.describes();
        f.clock.advance(Duration.ofSeconds(1));
        f.registry.probeTick();
        long probes = f.describes() - before;
        busiest = Math.max(busiest, probes);
        total += probes;
      }
      assertTrue(busiest <= 100,
          "at most a tenth of the tenants probe in any one second: " + busiest);
      long unwraps = f.providers.values().stream().mapToLong(p -> p.unwraps.get()).sum()
          - unwrapsBefore;
      assertEquals(total, unwraps, "every probe is one describe and one canary unwrap");

      Duration configured = KeyAccessSettings.DEFAULT.probeInterval();
      for (String id : f.ids) {
        KeyReference key = f.config.get(id).key();
        List<Instant> probes = f.providerOf(id).describedAt(key).stream()
            .filter(t -> t.isAfter(built)).toList();
        assertTrue(probes.size() >= 3, id + " probed " + probes.size() + " times in 180 s");
        Instant previous = built;
        Duration own = ProbeSpread.of(id, KeyAccessSettings.DEFAULT, 0.25).probeInterval();
        for (Instant t : probes) {
          Duration gap = Duration.between(previous, t);
          assertTrue(gap.compareTo(configured) <= 0, id + ": a gap of " + gap);
          assertTrue(gap.compareTo(own.minusSeconds(1)) >= 0, id + ": a gap of " + gap
              + " below its interval " + own);
          previous = t;
        }
      }
    }
  }

  @Test
  void probeSpread_staysWithinTheConfiguredShare_andIsEven() {
    KeyAccessSettings s = KeyAccessSettings.DEFAULT;
    int[] buckets = new int[15];
    for (int i = 0; i < 15_000; i++) {
      Duration p = ProbeSpread.of("tenant-" + i, s, 0.25).probeInterval();
      assertTrue(p.compareTo(Duration.ofSeconds(45)) >= 0 && p.compareTo(s.probeInterval()) <= 0,
          p.toString());
      buckets[(int) Math.min(14, (60_000 - p.toMillis()) / 1000)]++;
    }
    for (int b : buckets) {
      assertTrue(b > 800 && b < 1200, "each second of the 15 s share gets about 1,000: " + b);
    }
    assertEquals(s, ProbeSpread.of("anyone", s, 0));
  }
}
