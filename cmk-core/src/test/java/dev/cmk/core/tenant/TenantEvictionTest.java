package dev.cmk.core.tenant;

import static dev.cmk.core.tenant.TenantFixture.DATA;
import static dev.cmk.core.tenant.TenantFixture.aad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Bounded memory without forgetting a loss of access: idle and surplus tenants are evicted and
 * rebuilt, but a tenant whose key is unavailable is kept aside until it recovers or its grace
 * period ends, and one that needs a refresh stays refused as a record.
 */
class TenantEvictionTest {
  private static final String LOST = "tenant-0000";

  private static TenantFixture fixture() {
    return new TenantFixture(20, b -> b.probeExecutor(Runnable::run)
        .idleTimeout(Duration.ofMinutes(10)));
  }

  /** Revokes LOST's key and lets the wheel find it; returns the status. */
  private static KeyAccessStatus lose(TenantFixture f) {
    for (String id : f.ids) {
      f.roundTrip(id);
    }
    f.revoke(LOST);
    f.run(Duration.ofSeconds(61), Duration.ofSeconds(1));
    KeyAccessStatus lost = f.registry.status(LOST);
    assertEquals(KeyAccessState.UNAVAILABLE, lost.state());
    return lost;
  }

  @Test
  void idleTenants_areEvicted_andRebuiltOnTheirNextUse() {
    try (TenantFixture f = fixture()) {
      byte[] envelope = f.roundTrip("tenant-0003");
      assertEquals(1, f.registry.stats().resident());
      f.run(Duration.ofMinutes(11), Duration.ofMinutes(1));
      assertEquals(new TenantRegistry.Stats(0, 0, 0, 1), f.registry.stats());
      assertArrayEquals(DATA, f.registry.crypto("tenant-0003").decrypt(envelope,
          aad("tenant-0003")));
      assertEquals(1, f.registry.stats().resident());
    }
  }

  @Test
  void maxTenants_boundsTheResidentTenants_everyTenantStaysUsable() {
    try (TenantFixture f = new TenantFixture(40, b -> b.probeExecutor(Runnable::run)
        .maxTenants(8))) {
      for (int round = 0; round < 2; round++) {
        for (String id : f.ids) {
          f.roundTrip(id);
          assertTrue(f.registry.stats().resident() <= 8, f.registry.stats().toString());
        }
      }
    }
  }

  @Test
  void evictedWhileUnavailable_keepsItsLossAndDeadline_thenNeedsRefresh_asARecord() {
    try (TenantFixture f = fixture()) {
      KeyAccessStatus lost = lose(f);
      f.run(Duration.ofMinutes(11), Duration.ofMinutes(1)); // everyone idle: evicted
      TenantRegistry.Stats stats = f.registry.stats();
      assertEquals(0, stats.resident());
      assertEquals(1, stats.keptForLossOfAccess(), "the unavailable tenant is kept aside");

      KeyAccessStatus again = f.registry.status(LOST); // back from aside, not rebuilt
      assertEquals(KeyAccessState.UNAVAILABLE, again.state());
      assertEquals(lost.since(), again.since(), "eviction did not restart the grace period");

      Instant deadline = lost.since().plus(Duration.ofMinutes(30));
      f.run(Duration.ofMinutes(11), Duration.ofMinutes(1)); // evicted again, still probed
      Duration coarse = Duration.between(f.clock.instant(), deadline.minusSeconds(5));
      f.run(coarse, coarse);
      f.run(Duration.ofSeconds(10), Duration.ofSeconds(1)); // the deadline probe, aside
      assertEquals(new TenantRegistry.Stats(0, 0, 1, 2), f.registry.stats(),
          "reduced to a refresh-required record");

      f.restore(LOST); // too late
      KeyReference key = f.config.get(LOST).key();
      long calls = f.providerOf(LOST).calls(key);
      KeyAccessSuspendedException e = assertThrows(KeyAccessSuspendedException.class,
          () -> f.registry.crypto(LOST));
      assertTrue(e.refreshRequired());
      assertEquals(lost.since(), e.since().orElseThrow());
      KeyAccessStatus locked = f.registry.status(LOST);
      assertEquals(KeyAccessState.REFRESH_REQUIRED, locked.state());
      assertEquals(lost.since(), locked.since());
      f.run(Duration.ofMinutes(15), Duration.ofMinutes(1)); // evicted again: still a record
      assertThrows(KeyAccessSuspendedException.class, () -> f.registry.crypto(LOST));
      assertEquals(calls, f.providerOf(LOST).calls(key), "a record costs no provider call");

      assertEquals(KeyAccessState.AVAILABLE, f.registry.refresh(LOST).state());
      f.roundTrip(LOST);
      assertEquals(0, f.registry.stats().refreshRequired());
    }
  }

  @Test
  void evictedWhileUnavailable_restoredWithinGrace_recoversAside_andIsRebuiltAvailable() {
    try (TenantFixture f = fixture()) {
      lose(f);
      f.run(Duration.ofMinutes(11), Duration.ofMinutes(1));
      assertEquals(1, f.registry.stats().keptForLossOfAccess());
      f.restore(LOST);
      f.run(Duration.ofSeconds(31), Duration.ofSeconds(1));
      assertEquals(new TenantRegistry.Stats(0, 0, 0, 2), f.registry.stats(),
          "recovered while aside: dropped, nothing recorded");
      assertEquals(KeyAccessState.AVAILABLE, f.registry.status(LOST).state());
      f.roundTrip(LOST);
    }
  }

  @Test
  void refresh_ofAnAvailableTenant_readsTheSourceAgain_oldKeyStaysReadableWhenListed() {
    try (TenantFixture f = fixture()) {
      byte[] old = f.roundTrip(LOST);
      KeyReference oldKey = f.config.get(LOST).key();
      KeyReference moved = f.backends.get(TenantFixture.VAULT_B)
          .manager()
          .importKey("moved-" + LOST, dev.cmk.testkit.TestKeyPairs.otherRsa(2048))
          .versionless();
      f.config.put(LOST, TenantKeys.of(TenantFixture.VAULT_B, moved,
          dev.cmk.core.KeyPolicy.dicomService()).withDecryptOnly(TenantFixture.VAULT_A, oldKey));

      assertEquals(moved, f.registry.refresh(LOST).configuredKey());
      byte[] fresh = f.registry.crypto(LOST).encrypt(DATA, aad(LOST));
      assertTrue(moved.sameKeyAs(dev.cmk.core.EnvelopeInfo.of(fresh).keyReference()));
      assertArrayEquals(DATA, f.registry.crypto(LOST).decrypt(old, aad(LOST)));
      f.run(Duration.ofMinutes(11), Duration.ofMinutes(1)); // evicted and rebuilt: still readable
      assertArrayEquals(DATA, f.registry.crypto(LOST).decrypt(old, aad(LOST)));
      assertArrayEquals(DATA, f.registry.crypto(LOST).decrypt(fresh, aad(LOST)));
    }
  }
}
