package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetRecord;
import dev.cmk.core.fleet.FleetStateStore;
import dev.cmk.core.fleet.FleetStateUnavailableException;
import dev.cmk.core.fleet.InMemoryFleetStateStore;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Review of the fleet state (issue #12): paths where the shared state does not hold the contract
 * across replicas and restarts. Each test is one scenario; those marked {@code @Disabled} pin a
 * defect whose fix lies outside {@code GuardMachine}/{@code FleetSync} (see the reason).
 */
class FleetStateReviewTest extends FleetStateFixture {
  private final ScriptedStore store = new ScriptedStore(new InMemoryFleetStateStore());
  private final String keyId = key.versionless().toString();
  private final List<Replica> replicas = new ArrayList<>();
  private byte[] envelope;

  /** How a replica's builder is completed, given the replica's own view of the provider. */
  private interface Options {
    EnvelopeCryptoBuilder apply(EnvelopeCryptoBuilder builder, FaultInjectingProvider own);
  }

  /** One instance of the service; its own view of the provider, its own events. */
  private final class Replica implements FleetStateFixture.Target {
    final FaultInjectingProvider calls = FaultInjectingProvider.wrapping(provider);
    final List<KeyAccessEvent> events = new CopyOnWriteArrayList<>();
    final EnvelopeCrypto crypto;

    Replica(String name, Options options) {
      EnvelopeCryptoBuilder b = EnvelopeCrypto.builder().clock(clock).sleeper(d -> { })
          .fleetState(store, name).listener(events::add);
      crypto = options.apply(b, calls).build();
      replicas.add(this);
      if (envelope == null) {
        envelope = crypto.encrypt(DATA, AAD);
      }
    }

    Replica(String name) {
      this(name, (b, own) -> b.provider(own).writeKey(key.versionless()));
    }

    /** One request: true if served, false if refused as the guard refuses; anything else fails. */
    @Override
    public boolean serves() {
      return served(crypto, envelope);
    }

    /** A request whose failure of any kind is tolerated (the scenario, not the answer, is tested). */
    void attempt() {
      try {
        crypto.decrypt(envelope, AAD);
      } catch (RuntimeException e) {
        // refused either way
      }
    }

    long vaultCalls() {
      return calls.count(Operation.DESCRIBE) + calls.count(Operation.UNWRAP)
          + calls.count(Operation.WRAP);
    }

    KeyAccessState state() {
      return crypto.keyAccess().status().state();
    }

    boolean purged() {
      return events.stream().anyMatch(e -> e instanceof KeyAccessEvent.DataKeysPurged);
    }
  }

  @AfterEach
  void close() {
    replicas.forEach(r -> r.crypto.close());
  }

  // ------------------------------------------------------------------ store failures

  @Test
  void storeThrowsUncheckedOnWrite_lossIsRefusedWithTheSuspension_andDataKeysArePurged() {
    Replica a = new Replica("a");
    serveEverySecondFor(P.plus(SECOND), a);
    store.writeFault.set(() -> new IllegalStateException("connection pool is closed"));
    provider.manager().setEnabled(key, false);
    untilRefused(a);
    assertEquals(KeyAccessState.UNAVAILABLE, a.state());
    assertTrue(a.purged(), "an authoritative loss destroys the cached data keys, store or not");
  }

  @Test
  void storeThrowsUncheckedOnRead_requestsStillServed_andStoreIsNotAskedPerRequest() {
    Replica a = new Replica("a");
    store.readFault.set(() -> new IllegalStateException("connection pool is closed"));
    store.reads.set(0);
    Duration run = Duration.ofMinutes(5);
    Instant until = clock.instant().plus(run);
    while (clock.instant().isBefore(until)) {
      clock.advance(SECOND);
      assertTrue(a.serves(), "the key is fine; a broken store does not fail requests");
    }
    long bound = run.dividedBy(KeyAccessSettings.DEFAULT.reconfirmAfter()) + 2;
    assertTrue(store.reads.get() <= bound, "store reads: " + store.reads.get());
  }

  @Test
  void storeThrowsUncheckedAtStart_replicaStartsRefusing_thenStartsWhenTheStoreAnswers() {
    new Replica("a");
    store.readFault.set(() -> new IllegalStateException("connection pool is closed"));
    Replica b = new Replica("b");
    assertEquals(LossCause.FLEET_STATE_UNKNOWN, b.crypto.keyAccess().status().cause());
    assertFalse(b.serves());
    store.readFault.set(null);
    clock.advance(KeyAccessSettings.DEFAULT.probeBackoffMin());
    assertTrue(b.serves());
  }

  @Test
  void startedWithoutTheStore_refreshReadsButCannotWrite_replicaStartsOnceTheStoreAnswers() {
    Replica a = new Replica("a");
    serveEverySecondFor(P.plus(SECOND), a);
    store.readFault.set(() -> new FleetStateUnavailableException("store down (test)", null));
    Replica b = new Replica("b");
    assertEquals(LossCause.FLEET_STATE_UNKNOWN, b.crypto.keyAccess().status().cause());
    store.readFault.set(null); // the store reads again, but cannot write yet
    store.writeFault.set(() -> new FleetStateUnavailableException("store down (test)", null));
    assertThrows(FleetStateUnavailableException.class, () -> b.crypto.keyAccess().refresh());
    store.writeFault.set(null);
    serveEverySecondFor(P.multipliedBy(2), b);
    assertTrue(b.serves(), "the store answers and the fleet is fine: b must start");
  }

  // ------------------------------------------------------------------ the loss clock

  @Test
  void recoveryRecordedByAReplicaThatLeft_keyRevokedAgain_theOthersStillRequireRefresh() {
    Replica a = new Replica("a");
    Replica b = new Replica("b");
    serveEverySecondFor(P.plus(SECOND), a, b);
    provider.manager().setEnabled(key, false);
    untilRefused(a);
    serveEverySecondFor(P.plus(SECOND), a, b);
    provider.manager().setEnabled(key, true);
    untilServed(b); // b's probe recovers and records it; a gets no request meanwhile
    assertEquals(KeyAccessState.AVAILABLE, store.read(keyId).orElseThrow().state().state());
    b.crypto.close(); // scaled in
    provider.manager().setEnabled(key, false); // revoked again, on every replica left

    serveEverySecondFor(G.plus(P.multipliedBy(3)), a);
    assertEquals(KeyAccessState.REFRESH_REQUIRED, a.state(),
        "lost for longer than G + P on every live replica: refresh required");
    provider.manager().setEnabled(key, true);
    serveEverySecondFor(P, a);
    assertFalse(a.serves(), "no implicit refresh");
  }

  @Test
  void replicaThatAloneLosesAccess_stillRequiresRefreshAfterGracePlusProbe() {
    Replica a = new Replica("a");
    Replica b = new Replica("b");
    serveEverySecondFor(P.plus(SECOND), a, b);
    a.calls.denyIdentity(true); // a's identity loses its role; b's keeps it
    Instant lostAt = untilRefused(a);
    serveEverySecondFor(G.plus(P.multipliedBy(3)), a, b);
    assertEquals(KeyAccessState.REFRESH_REQUIRED, a.state(),
        "a's loss began at " + lostAt + "; its loss start must not move at every fleet read");
    a.calls.denyIdentity(false);
    serveEverySecondFor(P, a);
    assertFalse(a.serves(), "no implicit refresh");
  }

  @Test
  void recordedLossWithCauseFleetStateUnknown_replicaStillProbesAndRecovers() {
    Replica a = new Replica("a");
    serveEverySecondFor(P.plus(SECOND), a);
    FleetRecord r = store.read(keyId).orElseThrow();
    Instant now = clock.instant();
    // A value the guard never records itself, but FleetKeyState admits (another version, a bug).
    store.replace(keyId, r.revision(), FleetKeyState.unavailable(r.state().generation(), now,
        LossCause.FLEET_STATE_UNKNOWN, now, "other-version"));
    Instant served = null;
    boolean refused = false;
    for (int i = 0; i < 3 * P.toSeconds() && served == null; i++) {
      clock.advance(SECOND);
      if (!a.serves()) {
        refused = true;
      } else if (refused) {
        served = clock.instant();
      }
    }
    assertTrue(refused, "the recorded loss is adopted");
    assertTrue(served != null, "the key is fine: probes must go on and recover");
  }

  // ------------------------------------------------------------------ reading the fleet

  @Test
  void strictWritesReplica_busy_stillAdoptsTheFleetsRefreshRequiredWithinOneProbeInterval() {
    Replica strict = new Replica("strict", (b, own) -> b.provider(own).writeKey(key.versionless())
        .dataKeyLimits(DataKeyLimits.singleUse())
        .keyAccess(KeyAccessSettings.DEFAULT.withStrictWrites(true)));
    for (int i = 0; i < 120; i++) {
      clock.advance(SECOND);
      strict.crypto.encrypt(DATA, AAD);
    }
    Optional<FleetRecord> r = store.read(keyId);
    Instant now = clock.instant();
    store.replace(keyId, r.map(FleetRecord::revision).orElse(null), FleetKeyState.unavailable(
        r.map(x -> x.state().generation()).orElse(0L),
        now.minus(G.plus(P)), LossCause.IDENTITY_NOT_AUTHORIZED, now, "other")
        .refreshRequired(now, "other"));
    for (int i = 0; i <= P.toSeconds(); i++) {
      clock.advance(SECOND);
      try {
        strict.crypto.encrypt(DATA, AAD);
      } catch (KeyAccessSuspendedException e) {
        assertTrue(e.refreshRequired());
        return;
      }
    }
    fail("wrote for a whole probe interval after the fleet recorded refresh-required; "
        + "fleet reads: " + strict.crypto.keyAccess().fleetView().orElseThrow().reads());
  }

  @Test
  void decryptOnlyInstanceWithFleetState_isRefusedAtBuild_notSilentlyUnshared() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () ->
        new Replica("reader", (builder, own) -> builder.provider(own)
            .decryptOnlyKeys(List.of(key.versionless()))));
    assertTrue(e.getMessage().contains("fleetState"), e.getMessage());
  }

  // ------------------------------------------------------------------ a refresh to another key

  /** A replica whose configuration (key reference) comes from a shared setting. */
  private Replica configured(String name, AtomicReference<KeyReference> setting) {
    return new Replica(name,
        (b, own) -> b.keyConfiguration(() -> new KeyConfiguration(own, setting.get())));
  }

  /** Like {@link #configured}, but reading the setting throws while {@code down} is set. */
  private Replica configuredUnlessDown(
      String name, AtomicReference<KeyReference> setting, AtomicBoolean down) {
    return new Replica(name, (builder, own) -> builder.keyConfiguration(() -> {
      if (down.get()) {
        throw new IllegalStateException("configuration service unavailable");
      }
      return new KeyConfiguration(own, setting.get());
    }));
  }

  private void lockTheFleet(Replica... rs) {
    serveEverySecondFor(P.plus(SECOND), rs);
    provider.manager().setEnabled(key, false);
    untilRefused(rs[0]);
    serveEverySecondFor(G.plus(P), rs);
    for (Replica r : rs) {
      assertEquals(KeyAccessState.REFRESH_REQUIRED, r.state());
    }
    provider.manager().setEnabled(key, true); // access is back; the fleet still requires a refresh
  }

  @Test
  void refreshToAnotherKeyRefusedByTheVault_staysRefreshRequired_evenWhenThatKeyComesBack() {
    AtomicReference<KeyReference> setting = new AtomicReference<>(key.versionless());
    Replica a = configured("a", setting);
    lockTheFleet(a);
    KeyReference next = provider.manager().createKey("fleet-next", 2048);
    provider.manager().setEnabled(next, false); // e.g. its role assignment not yet in place
    setting.set(next.versionless());
    assertThrows(KeyProviderException.class, () -> a.crypto.keyAccess().refresh());
    serveEverySecondFor(P, a);
    provider.manager().setEnabled(next, true);
    serveEverySecondFor(P.multipliedBy(2), a);
    assertEquals(KeyAccessState.REFRESH_REQUIRED, a.state(),
        "a refused refresh changes nothing (as without a store): no self-healing");
  }

  @Test
  void refreshToAnotherKeyWhileStoreDown_fails_andChangesNothingWhenTheStoreReturns() {
    AtomicReference<KeyReference> setting = new AtomicReference<>(key.versionless());
    Replica a = configured("a", setting);
    lockTheFleet(a);
    KeyReference next = provider.manager().createKey("fleet-next", 2048);
    setting.set(next.versionless());
    store.readFault.set(() -> new FleetStateUnavailableException("store down (test)", null));
    store.writeFault.set(() -> new FleetStateUnavailableException("store down (test)", null));
    assertThrows(FleetStateUnavailableException.class, () -> a.crypto.keyAccess().refresh());
    serveEverySecondFor(Duration.ofSeconds(10), a);
    store.readFault.set(null);
    store.writeFault.set(null);
    serveEverySecondFor(P.multipliedBy(2), a);
    assertEquals(KeyAccessState.REFRESH_REQUIRED, a.state(),
        "refresh() threw 'not recorded'; the store's return is no refresh");
  }

  @Test
  void refreshToAnotherKey_isFollowedByTheOtherReplicasWithinOneProbeInterval() {
    AtomicReference<KeyReference> setting = new AtomicReference<>(key.versionless());
    Replica a = configured("a", setting);
    Replica b = configured("b", setting);
    lockTheFleet(a, b);
    KeyReference next = provider.manager().createKey("fleet-next", 2048);
    setting.set(next.versionless()); // the shared configuration moves to the new key
    assertEquals(KeyAccessState.AVAILABLE, a.crypto.keyAccess().refresh().state());
    serveEverySecondFor(P, b);
    assertTrue(b.serves(), "README: refresh() on any replica is followed by all within P");
  }

  // ------------------------------------------------------------------ following a refresh

  @Test
  void configurationUnreadableWhileFollowingARefresh_theRefreshStandsForTheFleet() {
    AtomicReference<KeyReference> setting = new AtomicReference<>(key.versionless());
    AtomicBoolean configurationDown = new AtomicBoolean();
    Replica a = configured("a", setting);
    Replica b = configuredUnlessDown("b", setting, configurationDown);
    lockTheFleet(a, b);
    configurationDown.set(true); // b cannot re-read its configuration for a while
    assertEquals(KeyAccessState.AVAILABLE, a.crypto.keyAccess().refresh().state());
    Instant until = clock.instant().plus(P.multipliedBy(2));
    while (clock.instant().isBefore(until)) {
      clock.advance(SECOND);
      a.serves();
      b.attempt();
    }
    configurationDown.set(false);
    serveEverySecondFor(P.multipliedBy(2), a, b);
    assertTrue(a.serves(), "one replica's unreadable configuration must not undo the refresh");
    assertTrue(b.serves(), "b follows once it can read its configuration");
  }

  @Test
  void idleReplicaWithUnreadableConfiguration_readingALaterLockedGeneration_refuses() {
    AtomicReference<KeyReference> setting = new AtomicReference<>(key.versionless());
    AtomicBoolean configurationDown = new AtomicBoolean();
    Replica a = configured("a", setting);
    Replica b = configuredUnlessDown("b", setting, configurationDown);
    serveEverySecondFor(P.plus(SECOND), a, b);
    a.crypto.keyAccess().refresh(); // generation 1; b is idle from here on
    provider.manager().setEnabled(key, false);
    untilRefused(a);
    serveEverySecondFor(G.plus(P), a);
    assertEquals(KeyAccessState.REFRESH_REQUIRED, a.state());
    provider.manager().setEnabled(key, true);
    configurationDown.set(true);
    b.attempt(); // b reads generation 1, refresh required, and cannot re-read its configuration
    assertFalse(b.serves(), "b has read the fleet's refresh-required: it must not serve");
    assertEquals(KeyAccessState.REFRESH_REQUIRED, b.state());
  }

  @Test
  void idleReplicaFollowingARefreshThatIsLockedAgain_makesNoVaultCall_andRefuses() {
    Replica a = new Replica("a");
    Replica b = new Replica("b");
    lockTheFleet(a, b);
    assertEquals(KeyAccessState.AVAILABLE, a.crypto.keyAccess().refresh().state());
    // lost again; b is idle meanwhile (no request, no probe)
    provider.manager().setEnabled(key, false);
    untilRefused(a);
    serveEverySecondFor(G.plus(P), a);
    assertEquals(KeyAccessState.REFRESH_REQUIRED, a.state());
    provider.manager().setEnabled(key, true);
    long before = b.vaultCalls();
    assertFalse(b.serves());
    assertEquals(KeyAccessState.REFRESH_REQUIRED, b.state());
    assertEquals(before, b.vaultCalls(), "the fleet requires a refresh: no vault call");
  }

  /** The shared store with injectable failures; counts read attempts. */
  private static final class ScriptedStore implements FleetStateStore {
    final FleetStateStore delegate;
    final AtomicReference<Supplier<RuntimeException>> readFault = new AtomicReference<>();
    final AtomicReference<Supplier<RuntimeException>> writeFault = new AtomicReference<>();
    final AtomicLong reads = new AtomicLong();

    ScriptedStore(FleetStateStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public Optional<FleetRecord> read(String id) {
      reads.incrementAndGet();
      Supplier<RuntimeException> f = readFault.get();
      if (f != null) {
        throw f.get();
      }
      return delegate.read(id);
    }

    @Override
    public Optional<FleetRecord> replace(String id, String expectedRevision, FleetKeyState next) {
      Supplier<RuntimeException> f = writeFault.get();
      if (f != null) {
        throw f.get();
      }
      return delegate.replace(id, expectedRevision, next);
    }
  }
}
