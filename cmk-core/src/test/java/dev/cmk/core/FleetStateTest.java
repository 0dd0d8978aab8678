package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessSuspendedException;
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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract across replicas and restarts: several instances of one service share the
 * loss-of-access state of their key through a {@link FleetStateStore}.
 */
class FleetStateTest extends FleetStateFixture {
  private final CountingStore store = new CountingStore(new InMemoryFleetStateStore());
  private final List<Replica> replicas = new ArrayList<>();
  private byte[] envelope;

  /** One instance of the service, with its own view of the provider (to count its calls). */
  private final class Replica implements FleetStateFixture.Target {
    final FaultInjectingProvider calls = FaultInjectingProvider.wrapping(provider);
    final List<KeyAccessEvent> events = new CopyOnWriteArrayList<>();
    final EnvelopeCrypto crypto;

    Replica(String name, Clock replicaClock) {
      crypto = EnvelopeCrypto.builder().provider(calls).writeKey(key.versionless())
          .clock(replicaClock).sleeper(d -> { }).fleetState(store, name).listener(events::add)
          .build();
      replicas.add(this);
    }

    /** One request: true if served, false if refused with the suspension error. */
    @Override
    public boolean serves() {
      return served(crypto, envelope);
    }

    KeyAccessStatus status() {
      return crypto.keyAccess().status();
    }

    long providerCalls() {
      return calls.count(Operation.DESCRIBE) + calls.count(Operation.UNWRAP)
          + calls.count(Operation.WRAP);
    }
  }

  @AfterEach
  void close() {
    replicas.forEach(r -> r.crypto.close());
  }

  private Replica start(String name) {
    Replica r = new Replica(name, clock);
    if (envelope == null) {
      envelope = r.crypto.encrypt(DATA, AAD);
    }
    return r;
  }

  @Test
  void lossFoundByOneReplica_othersAdoptItsStart() {
    Replica a = start("a");
    Replica b = start("b");
    provider.manager().setEnabled(key, false);
    Instant lostAt = untilRefused(a);
    clock.advance(Duration.ofSeconds(20));
    assertFalse(b.serves());
    assertEquals(lostAt, a.status().since());
    assertEquals(lostAt, b.status().since(), "replicas agree on the loss start");
    FleetKeyState recorded = store.read(key.versionless().toString()).orElseThrow().state();
    assertEquals(KeyAccessState.UNAVAILABLE, recorded.state());
    assertEquals(lostAt, recorded.lostSince());
    assertEquals(LossCause.KEY_DISABLED, recorded.cause());
  }

  @Test
  void twoReplicasFindTheLossAtDifferentTimes_agreeOnTheFirst() {
    Replica a = start("a");
    Replica b = new Replica("b", Clock.offset(clock, Duration.ofSeconds(3)));
    provider.manager().setEnabled(key, false);
    Instant first = untilRefused(a);
    untilRefused(b);
    assertEquals(first, b.status().since());
  }

  @Test
  void graceOver_everyReplicaRequiresRefresh_evenOneThatSawNothingAndAccessIsBack() {
    Replica a = start("a");
    Replica b = start("b");
    Replica c = start("c");
    provider.manager().setEnabled(key, false);
    untilRefused(a);
    serveEverySecondFor(G.plus(P), a);
    assertEquals(KeyAccessState.REFRESH_REQUIRED, a.status().state());
    provider.manager().setEnabled(key, true);
    for (Replica r : List.of(b, c)) {
      KeyAccessSuspendedException e = assertThrows(KeyAccessSuspendedException.class,
          () -> r.crypto.decrypt(envelope, AAD));
      assertTrue(e.refreshRequired());
    }
    serveEverySecondFor(P.multipliedBy(3), a, b, c);
    for (Replica r : List.of(a, b, c)) {
      assertEquals(KeyAccessState.REFRESH_REQUIRED, r.status().state(), "no implicit refresh");
    }
  }

  @Test
  void replicaStartedWhileRefreshRequired_startsThere_withoutProviderCalls() {
    Replica a = start("a");
    provider.manager().setEnabled(key, false);
    untilRefused(a);
    serveEverySecondFor(G.plus(P), a);
    provider.manager().setEnabled(key, true);
    a.crypto.close();

    Replica restarted = new Replica("a", clock);
    assertEquals(KeyAccessState.REFRESH_REQUIRED, restarted.status().state());
    serveEverySecondFor(P.multipliedBy(2), restarted);
    assertFalse(restarted.serves());
    assertEquals(0, restarted.providerCalls(), "a locked fleet makes no vault calls");
  }

  @Test
  void refreshOnOneReplica_isFollowedByAllWithinOneProbeInterval() {
    Replica a = start("a");
    Replica b = start("b");
    Replica c = start("c");
    provider.manager().setEnabled(key, false);
    untilRefused(a);
    serveEverySecondFor(G.plus(P), a, b, c);
    provider.manager().setEnabled(key, true);
    long generation = a.crypto.keyAccess().fleetView().orElseThrow().generation();

    assertEquals(KeyAccessState.AVAILABLE, a.crypto.keyAccess().refresh().state());
    Instant refreshedAt = clock.instant();
    assertTrue(a.serves());
    Instant allServe = null;
    while (allServe == null) {
      clock.advance(SECOND);
      boolean all = b.serves() & c.serves();
      if (all) {
        allServe = clock.instant();
      }
      assertTrue(Duration.between(refreshedAt, clock.instant()).compareTo(P) <= 0,
          "followed within one probe interval");
    }
    for (Replica r : List.of(a, b, c)) {
      assertEquals(generation + 1, r.crypto.keyAccess().fleetView().orElseThrow().generation());
    }
    assertEquals(List.of(new KeyAccessEvent.Refreshed(refreshedAt, key.versionless(), key, false)),
        refreshes(a), "the replica that refreshed");
    for (Replica r : List.of(b, c)) {
      List<KeyAccessEvent.Refreshed> followed = refreshes(r);
      assertEquals(1, followed.size(), followed::toString);
      assertTrue(followed.get(0).followed(), "the others followed it");
      assertEquals(key, followed.get(0).version());
      assertFalse(followed.get(0).at().isBefore(refreshedAt));
    }
  }

  private static List<KeyAccessEvent.Refreshed> refreshes(Replica r) {
    return r.events.stream().filter(KeyAccessEvent.Refreshed.class::isInstance)
        .map(KeyAccessEvent.Refreshed.class::cast).toList();
  }

  @Test
  void accessRestoredWithinGrace_everyReplicaRecoversByItself() {
    Replica a = start("a");
    Replica b = start("b");
    provider.manager().setEnabled(key, false);
    untilRefused(a);
    serveEverySecondFor(G.minus(Duration.ofMinutes(5)), a, b);
    provider.manager().setEnabled(key, true);
    serveEverySecondFor(P.plus(SECOND), a, b);
    assertTrue(a.serves());
    assertTrue(b.serves());
    serveEverySecondFor(G, a, b);
    assertEquals(KeyAccessState.AVAILABLE, a.status().state());
    assertEquals(KeyAccessState.AVAILABLE,
        store.read(key.versionless().toString()).orElseThrow().state().state());
  }

  @Test
  void storeUnreachableAtStart_refusesUntilItAnswers_thenStartsInTheFleetState() {
    Replica a = start("a");
    store.down.set(true);
    Replica b = new Replica("b", clock);
    assertEquals(LossCause.FLEET_STATE_UNKNOWN, b.status().cause());
    assertFalse(b.serves());
    assertEquals(0, b.providerCalls());
    store.down.set(false);
    clock.advance(KeyAccessSettings.DEFAULT.probeBackoffMin());
    assertTrue(b.serves());
    assertTrue(a.serves());
  }

  @Test
  void storeDown_neverLiftsRefreshRequired_andRefreshFailsUntilItCanBeRecorded() {
    Replica a = start("a");
    Replica b = start("b");
    provider.manager().setEnabled(key, false);
    untilRefused(a);
    serveEverySecondFor(G.plus(P), a, b);
    provider.manager().setEnabled(key, true);
    store.down.set(true);
    serveEverySecondFor(P.multipliedBy(3), a, b);
    assertEquals(KeyAccessState.REFRESH_REQUIRED, b.status().state());
    assertThrows(FleetStateUnavailableException.class, () -> a.crypto.keyAccess().refresh());
    assertEquals(KeyAccessState.REFRESH_REQUIRED, a.status().state(), "nothing changed");
    store.down.set(false);
    a.crypto.keyAccess().refresh();
    serveEverySecondFor(P, a, b);
    assertTrue(b.serves());
  }

  @Test
  void lossWhileStoreDown_isRecordedWhenItReturns() {
    Replica a = start("a");
    store.down.set(true);
    provider.manager().setEnabled(key, false);
    Instant lostAt = untilRefused(a);
    store.down.set(false);
    serveEverySecondFor(P, a);
    Optional<FleetRecord> r = store.read(key.versionless().toString());
    assertEquals(KeyAccessState.UNAVAILABLE, r.orElseThrow().state().state());
    assertEquals(lostAt, r.get().state().lostSince());
    Replica b = new Replica("b", clock);
    assertEquals(lostAt, b.status().since());
  }

  @Test
  void storeTraffic_atMostOneReadPerProbeIntervalAndOneWritePerStateChange() {
    Replica a = start("a");
    Replica b = start("b");
    Replica c = start("c");
    store.reset();
    serveEverySecondFor(Duration.ofHours(1), a, b, c);
    long intervals = Duration.ofHours(1).dividedBy(P);
    for (Replica r : List.of(a, b, c)) {
      long reads = r.crypto.keyAccess().fleetView().orElseThrow().reads();
      assertTrue(reads <= intervals + 3, "one replica's reads in an hour: " + reads);
    }
    assertTrue(store.reads.get() >= 3 * (intervals - 2), "reads: " + store.reads.get());
    assertTrue(store.writes.get() <= 3, "one first record, then nothing changes: " + store.writes);
    store.reset();
    provider.manager().setEnabled(key, false);
    serveEverySecondFor(Duration.ofMinutes(10), a, b, c);
    provider.manager().setEnabled(key, true);
    serveEverySecondFor(Duration.ofMinutes(10), a, b, c);
    // loss + recovery: one write each, plus at most one lost race per replica
    assertTrue(store.writes.get() <= 2 + 2 * 3, "writes: " + store.writes.get());
    assertTrue(store.writes.get() >= 2, "writes: " + store.writes.get());
  }

  @Test
  void clockSkewOfTwoSeconds_replicasAgreeOnTheStart_andTheDeadlineMovesByAtMostTheSkew() {
    Duration skew = Duration.ofSeconds(2);
    Replica a = start("a");
    Replica ahead = new Replica("ahead", Clock.offset(clock, skew));
    provider.manager().setEnabled(key, false);
    Instant lostAt = untilRefused(a);
    serveEverySecondFor(Duration.ofSeconds(5), ahead);
    assertEquals(lostAt, ahead.status().since());
    // Restored 3 s before the deadline on the recording replica's clock: both recover.
    Instant deadline = lostAt.plus(G);
    serveEverySecondFor(Duration.between(clock.instant(), deadline.minus(skew).minus(SECOND)),
        a, ahead);
    provider.manager().setEnabled(key, true);
    serveEverySecondFor(P.plus(SECOND), a, ahead);
    assertTrue(a.serves());
    assertTrue(ahead.serves());
  }

  /** Counts reads and writes; {@link #down} makes every call fail as an outage would. */
  private static final class CountingStore implements FleetStateStore {
    final FleetStateStore delegate;
    final AtomicBoolean down = new AtomicBoolean();
    final AtomicLong reads = new AtomicLong();
    final AtomicLong writes = new AtomicLong();

    CountingStore(FleetStateStore delegate) {
      this.delegate = delegate;
    }

    void reset() {
      reads.set(0);
      writes.set(0);
    }

    @Override
    public Optional<FleetRecord> read(String keyId) {
      if (down.get()) {
        throw new FleetStateUnavailableException("store down (test)", null);
      }
      reads.incrementAndGet();
      return delegate.read(keyId);
    }

    @Override
    public Optional<FleetRecord> replace(String keyId, String expectedRevision,
        FleetKeyState next) {
      if (down.get()) {
        throw new FleetStateUnavailableException("store down (test)", null);
      }
      writes.incrementAndGet();
      return delegate.replace(keyId, expectedRevision, next);
    }
  }
}
