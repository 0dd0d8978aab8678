package dev.cmk.core.tenant;

import static dev.cmk.core.tenant.TenantFixture.DATA;
import static dev.cmk.core.tenant.TenantFixture.aad;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.KeyAccessEvent;
import dev.cmk.core.KeyAccessState;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The registry's contract: lookups, shared providers, tenant scoping, builder rules, close. */
class TenantRegistryTest {

  @Test
  void unknownTenant_isKeyNotFound_andNothingIsKept() {
    try (TenantFixture f = new TenantFixture(2, b -> b.probeExecutor(Runnable::run))) {
      KeyNotFoundException e =
          assertThrows(KeyNotFoundException.class, () -> f.registry.crypto("nobody"));
      assertTrue(e.getMessage().contains("nobody"), e.getMessage());
      assertEquals(0, f.registry.stats().resident());
      assertEquals(0, f.factoryCalls.get());
    }
  }

  @Test
  void envelopeOfAnotherTenant_onTheSameProvider_isRefusedBeforeAnyProviderCall() {
    try (TenantFixture f = new TenantFixture(4, b -> b.probeExecutor(Runnable::run))) {
      String a = "tenant-0000";
      String b = "tenant-0002"; // same vault, same shared provider
      assertEquals(f.vaultOf(a), f.vaultOf(b));
      f.roundTrip(a);
      byte[] ofB = f.roundTrip(b);
      f.registry.crypto(b).diagnostics().purgeDataKeys();
      KeyReference keyB = f.config.get(b).key();
      long callsForB = f.providerOf(b).calls(keyB);
      assertThrows(KeyNotFoundException.class, () -> f.registry.crypto(a).decrypt(ofB, aad(b)));
      assertEquals(callsForB, f.providerOf(b).calls(keyB), "B's key was never asked for A");
    }
  }

  @Test
  void providers_areMadeOncePerName_evenWhenTenantsStartTogether() throws Exception {
    try (TenantFixture f = new TenantFixture(64, b -> b.probeExecutor(Runnable::run))) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> all = new CopyOnWriteArrayList<>();
        for (String id : f.ids) {
          all.add(pool.submit(() -> f.roundTrip(id)));
        }
        for (Future<?> done : all) {
          done.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(2, f.factoryCalls.get());
      assertEquals(2, f.registry.stats().providers());
      assertEquals(64, f.registry.stats().resident());
    }
  }

  @Test
  void listener_getsEveryTenantsEvents_withTheTenantId() {
    List<String> lost = new CopyOnWriteArrayList<>();
    TenantAccessListener l = (tenant, event) -> {
      if (event instanceof KeyAccessEvent.StateChanged s
          && s.to().state() == KeyAccessState.UNAVAILABLE) {
        lost.add(tenant);
      }
    };
    try (TenantFixture f = new TenantFixture(6, b -> b.probeExecutor(Runnable::run)
        .listener(l))) {
      for (String id : f.ids) {
        f.roundTrip(id);
      }
      f.revoke("tenant-0005");
      f.run(Duration.ofSeconds(61), Duration.ofSeconds(1));
      assertEquals(List.of("tenant-0005"), lost);
    }
  }

  @Test
  void close_closesTheProvidersItMade_andRefusesFurtherUse() {
    TenantFixture f = new TenantFixture(2, b -> b.probeExecutor(Runnable::run));
    f.roundTrip("tenant-0000");
    f.close();
    f.close(); // idempotent
    assertTrue(f.providerOf("tenant-0000").closed, "the provider it made");
    assertFalse(f.providerOf("tenant-0001").closed, "never made, never closed");
    assertThrows(IllegalStateException.class, () -> f.registry.crypto("tenant-0000"));
    assertThrows(IllegalStateException.class, () -> f.registry.refresh("tenant-0000"));
  }

  @Test
  void probeWheel_runsOnTheGivenScheduler_everySecond_andStopsOnClose() throws Exception {
    java.util.concurrent.ScheduledThreadPoolExecutor scheduler =
        new java.util.concurrent.ScheduledThreadPoolExecutor(1);
    scheduler.setRemoveOnCancelPolicy(true);
    try {
      dev.cmk.testkit.ManualClock clock = dev.cmk.testkit.ManualClock.create();
      dev.cmk.testkit.InMemoryKeyProvider vault =
          dev.cmk.testkit.InMemoryKeyProvider.builder().clock(clock).build();
      KeyReference key = vault.manager().createKey("wheel", 2048).versionless();
      CountingProvider counted = new CountingProvider(vault, clock);
      TenantRegistry registry = TenantRegistry.builder()
          .source(id -> Optional.of(TenantKeys.of("v", key, dev.cmk.core.KeyPolicy.dicomService())))
          .providerFactory(n -> counted)
          .clock(clock)
          .probeScheduler(scheduler)
          .probeExecutor(Runnable::run)
          .build();
      assertEquals(1, scheduler.getQueue().size(), "one wheel task for all tenants");
      registry.crypto("t").encrypt(DATA, aad("t"));
      long describes = counted.describes.get();
      clock.advance(Duration.ofSeconds(61)); // the tenant's confirmation is due
      for (int i = 0; i < 600 && counted.describes.get() == describes; i++) {
        Thread.sleep(50); // the wheel turns once a second on its own
      }
      assertEquals(describes + 1, counted.describes.get(), "the wheel probed the tenant once");
      registry.close();
      assertEquals(0, scheduler.getQueue().size(), "the wheel task is cancelled");
      assertFalse(scheduler.isShutdown(), "the scheduler stays the application's");
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void builder_requiresSourceAndFactory_andTakesEachSettingOnce() {
    assertThrows(IllegalStateException.class, () -> TenantRegistry.builder()
        .providerFactory(n -> null).build());
    assertThrows(IllegalStateException.class, () -> TenantRegistry.builder()
        .source(id -> Optional.empty()).build());
    TenantRegistryBuilder b = TenantRegistry.builder().maxTenants(5);
    assertThrows(IllegalStateException.class, () -> b.maxTenants(6));
    assertThrows(IllegalArgumentException.class, () -> TenantRegistry.builder().maxTenants(0));
    assertThrows(IllegalArgumentException.class,
        () -> TenantRegistry.builder().probeSpread(0.9));
    assertThrows(IllegalArgumentException.class,
        () -> TenantRegistry.builder().idleTimeout(Duration.ZERO));
    assertThrows(NullPointerException.class, () -> TenantRegistry.builder().source(null));
  }

  @Test
  void tenantKeys_validate_andCopyTheirList() {
    KeyReference k = KeyReference.parse("local:k");
    assertThrows(IllegalArgumentException.class,
        () -> TenantKeys.of(" ", k, dev.cmk.core.KeyPolicy.dicomService()));
    TenantKeys t = TenantKeys.of("v", k, dev.cmk.core.KeyPolicy.dicomService())
        .withDecryptOnly("w", KeyReference.parse("local:old"));
    assertEquals(1, t.decryptOnly().size());
    assertThrows(UnsupportedOperationException.class, () -> t.decryptOnly().clear());
    assertFalse(t.toString().isEmpty());
  }

  @Test
  void refresh_ofATenantWhoseKeyIsStillRevoked_failsAndLeavesItAsItWas() {
    try (TenantFixture f = new TenantFixture(2, b -> b.probeExecutor(Runnable::run))) {
      String t = "tenant-0001";
      f.roundTrip(t);
      f.revoke(t);
      assertThrows(dev.cmk.api.KeyProviderException.class, () -> f.registry.refresh(t));
      f.run(Duration.ofSeconds(61), Duration.ofSeconds(1));
      assertEquals(KeyAccessState.UNAVAILABLE, f.registry.status(t).state());
      assertThrows(dev.cmk.api.KeyAccessSuspendedException.class,
          () -> f.registry.crypto(t).encrypt(DATA, aad(t)));
    }
  }
}
