package dev.cmk.core.tenant;

import static dev.cmk.core.tenant.TenantFixture.DATA;
import static dev.cmk.core.tenant.TenantFixture.aad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A thousand tenants on two shared providers: one tenant's key is revoked; only that tenant
 * fails; restored within the grace period it recovers by itself, after it only through {@code
 * refresh(tenant)}.
 */
class TenantIsolationTest {
  private static final String VICTIM = "tenant-0417";

  private static Map<String, byte[]> warmUp(TenantFixture f) {
    Map<String, byte[]> envelopes = new HashMap<>();
    for (String id : f.ids) {
      envelopes.put(id, f.roundTrip(id));
    }
    return envelopes;
  }

  private static void everyOtherTenantWorks(TenantFixture f, Map<String, byte[]> envelopes) {
    for (String id : f.ids) {
      if (!id.equals(VICTIM)) {
        assertArrayEquals(DATA, f.registry.crypto(id).decrypt(envelopes.get(id), aad(id)), id);
        f.roundTrip(id);
      }
    }
  }

  /** Revokes the victim's key and runs the wheel for one probe interval: the victim is found. */
  private static KeyAccessStatus revokeAndDetect(TenantFixture f, Map<String, byte[]> envelopes) {
    f.revoke(VICTIM);
    f.run(Duration.ofSeconds(61), Duration.ofSeconds(1));
    KeyAccessStatus lost = f.registry.status(VICTIM);
    assertEquals(KeyAccessState.UNAVAILABLE, lost.state());
    KeyAccessSuspendedException e = assertThrows(KeyAccessSuspendedException.class,
        () -> f.registry.crypto(VICTIM).encrypt(DATA, aad(VICTIM)));
    assertFalse(e.refreshRequired());
    assertThrows(KeyAccessSuspendedException.class,
        () -> f.registry.crypto(VICTIM).decrypt(envelopes.get(VICTIM), aad(VICTIM)));
    everyOtherTenantWorks(f, envelopes);
    return lost;
  }

  @Test
  void thousandTenants_oneKeyRevokedAndRestoredWithinGrace_onlyItFailed_recoversByItself() {
    try (TenantFixture f = new TenantFixture(1000, b -> b.probeExecutor(Runnable::run))) {
      Map<String, byte[]> envelopes = warmUp(f);
      KeyAccessStatus lost = revokeAndDetect(f, envelopes);

      f.run(Duration.ofMinutes(20), Duration.ofMinutes(20));
      assertEquals(KeyAccessState.UNAVAILABLE, f.registry.status(VICTIM).state());
      f.restore(VICTIM); // 21 minutes after the loss
      f.run(Duration.ofSeconds(31), Duration.ofSeconds(1)); // the backoff is at most 30 s

      KeyAccessStatus back = f.registry.status(VICTIM);
      assertEquals(KeyAccessState.AVAILABLE, back.state(), "recovered without a refresh");
      assertTrue(back.since().isAfter(lost.since()));
      assertArrayEquals(DATA,
          f.registry.crypto(VICTIM).decrypt(envelopes.get(VICTIM), aad(VICTIM)));
      f.roundTrip(VICTIM);
      everyOtherTenantWorks(f, envelopes);
      assertEquals(2, f.factoryCalls.get(), "one provider per vault, shared by 500 tenants each");
    }
  }

  @Test
  void thousandTenants_oneKeyRevokedPastGrace_needsRefresh_othersNeverAffected() {
    try (TenantFixture f = new TenantFixture(1000, b -> b.probeExecutor(Runnable::run))) {
      Map<String, byte[]> envelopes = warmUp(f);
      KeyAccessStatus lost = revokeAndDetect(f, envelopes);

      Instant deadline = lost.since().plus(Duration.ofMinutes(30));
      Duration coarse = Duration.between(f.clock.instant(), deadline.minusSeconds(5));
      f.run(coarse, coarse);
      assertEquals(KeyAccessState.UNAVAILABLE, f.registry.status(VICTIM).state());
      f.run(Duration.ofSeconds(10), Duration.ofSeconds(1)); // the deadline probe, on time
      assertTrue(f.clock.instant().isAfter(deadline));
      KeyAccessStatus locked = f.registry.status(VICTIM);
      assertEquals(KeyAccessState.REFRESH_REQUIRED, locked.state());

      f.restore(VICTIM); // too late: access stays suspended until the explicit refresh
      f.run(Duration.ofSeconds(31), Duration.ofSeconds(1));
      KeyAccessSuspendedException e = assertThrows(KeyAccessSuspendedException.class,
          () -> f.registry.crypto(VICTIM).decrypt(envelopes.get(VICTIM), aad(VICTIM)));
      assertTrue(e.refreshRequired());
      everyOtherTenantWorks(f, envelopes);

      assertEquals(KeyAccessState.AVAILABLE, f.registry.refresh(VICTIM).state());
      assertArrayEquals(DATA,
          f.registry.crypto(VICTIM).decrypt(envelopes.get(VICTIM), aad(VICTIM)));
      f.roundTrip(VICTIM);
    }
  }
}
