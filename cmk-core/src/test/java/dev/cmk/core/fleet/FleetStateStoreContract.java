package dev.cmk.core.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.KeyAccessState;
import dev.cmk.core.LossCause;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What every {@link FleetStateStore} must do, run against each implementation by extending this
 * class (cmk-core's test jar). {@link #store()} and {@link #otherReplica()} must reach the same
 * shared state through two separate store instances (two replicas), and every call of {@link
 * #keyId(String)} in one test must give ids no other test uses.
 */
public abstract class FleetStateStoreContract {
  /** Micro-second instants: the precision every store must keep (PostgreSQL's). */
  private static final Instant LOST = Instant.parse("2026-12-07T10:15:30.123456Z");
  private static final Instant NOW = Instant.parse("2026-12-07T10:16:01.000001Z");

  /** {@return the store under test, as one replica sees it} */
  protected abstract FleetStateStore store();

  /** {@return a second store instance on the same shared state, as another replica sees it} */
  protected abstract FleetStateStore otherReplica();

  /**
   * A key id unique to this test run (stores may be shared across tests).
   *
   * @param name a readable part
   * @return the id
   */
  protected String keyId(String name) {
    return "https://contract.vault.azure.net/keys/" + name + "-" + System.nanoTime();
  }

  @Test
  void read_nothingRecorded_isEmpty() {
    assertEquals(Optional.empty(), store().read(keyId("none")));
  }

  @Test
  void replace_noRecordYet_createsWhatOtherReplicasRead() {
    String id = keyId("create");
    FleetKeyState s = FleetKeyState.unavailable(3, LOST, LossCause.KEY_DISABLED, NOW, "replica-a");
    FleetRecord written = store().replace(id, null, s).orElseThrow();
    assertEquals(s, written.state());
    FleetRecord read = otherReplica().read(id).orElseThrow();
    assertEquals(s, read.state());
    assertEquals(written.revision(), read.revision());
  }

  @Test
  void replace_everyStateAndCause_roundTripsExactly() {
    for (LossCause cause : LossCause.values()) {
      String id = keyId("cause-" + cause);
      FleetKeyState s = cause == LossCause.NONE
          ? FleetKeyState.available(Long.MAX_VALUE, NOW, "r")
          : FleetKeyState.unavailable(7, LOST, cause, NOW, "x".repeat(128))
              .refreshRequired(NOW, "replica-b");
      store().replace(id, null, s).orElseThrow();
      assertEquals(s, otherReplica().read(id).orElseThrow().state(), cause.name());
    }
  }

  @Test
  void replace_longestKeyId_isKeptExactly() {
    String prefix = keyId("long");
    String id = prefix + "x".repeat(FleetStateStore.MAX_KEY_ID_LENGTH - prefix.length());
    FleetKeyState s = FleetKeyState.available(1, NOW, "r");
    store().replace(id, null, s).orElseThrow();
    assertEquals(s, otherReplica().read(id).orElseThrow().state());
    assertEquals(Optional.empty(), otherReplica().read(id.substring(0, id.length() - 1)));
  }

  @Test
  void replace_staleRevision_failsAndKeepsTheWinner() {
    String id = keyId("stale");
    FleetRecord first = store().replace(id, null, FleetKeyState.available(0, NOW, "a"))
        .orElseThrow();
    FleetKeyState lossA = FleetKeyState.unavailable(0, LOST, LossCause.KEY_DISABLED, NOW, "a");
    FleetRecord second = store().replace(id, first.revision(), lossA).orElseThrow();
    assertNotEquals(first.revision(), second.revision());
    FleetKeyState lossB =
        FleetKeyState.unavailable(0, NOW, LossCause.PROVIDER_UNAVAILABLE, NOW, "b");
    assertEquals(Optional.empty(), otherReplica().replace(id, first.revision(), lossB));
    assertEquals(Optional.empty(), otherReplica().replace(id, null, lossB));
    assertEquals(lossA, store().read(id).orElseThrow().state());
  }

  @Test
  void replace_revisions_neverRepeatForAKey() {
    String id = keyId("revisions");
    Set<String> seen = new HashSet<>();
    String revision = null;
    for (int i = 0; i < 20; i++) {
      FleetStateStore s = i % 2 == 0 ? store() : otherReplica();
      revision = s.replace(id, revision, FleetKeyState.available(i, NOW, "r")).orElseThrow()
          .revision();
      assertTrue(seen.add(revision), "revision repeated: " + revision);
    }
    assertEquals(19, store().read(id).orElseThrow().state().generation());
  }

  @Test
  void replace_keys_areIndependent() {
    String a = keyId("a");
    String b = keyId("b");
    store().replace(a, null, FleetKeyState.available(1, NOW, "r")).orElseThrow();
    assertEquals(Optional.empty(), store().read(b));
    store().replace(b, null, FleetKeyState.available(2, NOW, "r")).orElseThrow();
    assertEquals(1, otherReplica().read(a).orElseThrow().state().generation());
  }

  @Test
  void replace_concurrentReplicasOnOneRevision_exactlyOneWins() throws Exception {
    String id = keyId("race");
    String base = store().replace(id, null, FleetKeyState.available(0, NOW, "r")).orElseThrow()
        .revision();
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      CountDownLatch start = new CountDownLatch(1);
      AtomicInteger wins = new AtomicInteger();
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        FleetStateStore s = i % 2 == 0 ? store() : otherReplica();
        FleetKeyState mine = FleetKeyState.unavailable(0, LOST.plusSeconds(i),
            LossCause.KEY_DISABLED, NOW, "writer-" + i);
        futures.add(pool.submit(() -> {
          start.await();
          if (s.replace(id, base, mine).isPresent()) {
            wins.incrementAndGet();
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertEquals(1, wins.get());
      FleetKeyState winner = store().read(id).orElseThrow().state();
      assertEquals(KeyAccessState.UNAVAILABLE, winner.state());
      assertTrue(winner.recordedBy().startsWith("writer-"));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void keyIds_outsideTheLimits_areRefused() {
    FleetKeyState s = FleetKeyState.available(0, NOW, "r");
    assertThrows(IllegalArgumentException.class, () -> store().read(""));
    assertThrows(IllegalArgumentException.class,
        () -> store().replace("x".repeat(FleetStateStore.MAX_KEY_ID_LENGTH + 1), null, s));
    assertThrows(IllegalArgumentException.class, () -> store().read("key\nid"));
  }
}
