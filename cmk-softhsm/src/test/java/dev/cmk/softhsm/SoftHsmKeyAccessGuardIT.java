package dev.cmk.softhsm;

import static dev.cmk.softhsm.CmkOnToken.PAST_PROBE_INTERVAL;
import static dev.cmk.softhsm.CmkOnToken.awaitTrue;
import static dev.cmk.softhsm.CmkOnToken.providerCalls;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.KeyAccessEvent;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.core.LossCause;
import dev.cmk.softhsm.CmkOnToken.Written;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The loss-of-access contract of cmk-core ({@link EnvelopeCrypto} and its {@code KeyAccessGuard})
 * end to end on a real SoftHSM2 token: while a few threads encrypt and decrypt, a second JVM
 * disables the key through {@link Pkcs11KeyManager}; one probe interval later (on the manual clock
 * driving the guard) the guard trips, purges the cached data keys and fails every request fast
 * without touching the token; the key enabled again within the 30-minute grace window recovers by
 * itself, enabled after it only through {@code refresh()}.
 */
class SoftHsmKeyAccessGuardIT {
  private static final int THREADS = 3;

  private static SoftHsm.TestToken token;

  private ManualClock clock;
  private Pkcs11KeyProvider provider;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeAll
  static void createToken() {
    token = SoftHsm.createToken("guard-it");
  }

  @BeforeEach
  void setUp() {
    clock = ManualClock.create();
    provider = token.provider().clock(clock).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    provider.close();
  }

  @Test
  void guard_keyDisabledBySecondProcessMidTraffic_tripsAfterProbeIntervalPurgesAndFailsFast()
      throws Exception {
    Tripped t = disableMidTraffic("disabled-mid-traffic");

    KeyAccessStatus status = t.crypto.keyAccess().status();
    assertEquals(KeyAccessState.UNAVAILABLE, status.state());
    assertEquals(LossCause.KEY_DISABLED, status.cause());
    assertEquals(t.lostAt, status.since(), "tripped by the first request after the probe interval");
    assertEquals(Duration.ofMinutes(30), status.graceRemaining());
    assertEquals(t.version, status.currentVersion());
    assertNotNull(status.lastError(), "the classified error is reported");
    assertEquals(0, t.crypto.diagnostics().cachedDataKeys(), "cached data keys are purged on the denial");
    assertTrue(
        t.events.stream().anyMatch(e -> e instanceof KeyAccessEvent.DataKeysPurged
            && ((KeyAccessEvent.DataKeysPurged) e).cause() == LossCause.KEY_DISABLED),
        "purge event: " + t.events);
    assertTrue(
        t.events.stream().anyMatch(e -> e instanceof KeyAccessEvent.StateChanged
            && ((KeyAccessEvent.StateChanged) e).to().state() == KeyAccessState.UNAVAILABLE),
        "state change event: " + t.events);

    // While the guard is open, no request reaches the token: neither those of this thread (one of
    // every kind) nor the traffic that keeps failing on the other threads.
    long callsWhileOpen = providerCalls(t.counted);
    long[] suspendedBefore = t.traffic.suspendedPerThread();
    Written earlier = t.earlier.get(0);
    Written recent = t.traffic.written().get(t.traffic.written().size() - 1);
    List<Executable> requests =
        List.of(
            () -> Written.encrypt(t.crypto, "while-open", 100),
            () -> earlier.assertDecrypts(t.crypto),
            () -> recent.assertDecrypts(t.crypto),
            () -> t.crypto.encryptingStream(new ByteArrayOutputStream(), new byte[0]),
            () -> t.crypto.decryptingStream(
                new ByteArrayInputStream(earlier.envelope), earlier.associatedData),
            () -> t.crypto.rewrap(earlier.envelope));
    for (int i = 0; i < 50; i++) {
      for (Executable request : requests) {
        KeyAccessSuspendedException e = assertThrows(KeyAccessSuspendedException.class, request);
        assertFalse(e.refreshRequired(), "within the grace window");
        assertEquals(Optional.of(t.lostAt), e.since());
      }
    }
    for (int thread = 0; thread < THREADS; thread++) {
      int n = thread;
      awaitTrue(() -> t.traffic.suspendedPerThread()[n] >= suspendedBefore[n] + 50,
          "traffic thread " + n + " to keep failing fast");
    }
    t.traffic.stop();

    assertEquals(callsWhileOpen, providerCalls(t.counted),
        "no PKCS#11 call per request while the guard is open: " + t.counted);
    assertEquals(0, t.traffic.lateSuccesses(),
        "no operation that started after the probe interval succeeded");
    assertEquals(List.of(), t.traffic.unexpected(), "only successes and KeyAccessSuspended");
    assertEquals(0, t.crypto.diagnostics().cachedDataKeys(), "nothing was cached again while open");
  }

  @Test
  void guard_keyEnabledBySecondProcessAt20Minutes_selfHealsAndEverythingWrittenDecrypts()
      throws Exception {
    Tripped t = disableMidTraffic("enabled-at-20-minutes");
    t.traffic.stop();
    assertEquals(List.of(), t.traffic.unexpected());

    clock.advance(Duration.ofMinutes(10));
    KeyAccessSuspendedException stillDisabled =
        assertThrows(KeyAccessSuspendedException.class, () -> t.earlier.get(0).assertDecrypts(t.crypto));
    assertFalse(stillDisabled.refreshRequired());
    KeyAccessStatus at10 = t.crypto.keyAccess().status();
    assertEquals(KeyAccessState.UNAVAILABLE, at10.state(), "the probe found the key still disabled");
    assertEquals(Duration.ofMinutes(20), at10.graceRemaining());

    clock.advance(Duration.ofMinutes(10));
    SoftHsm.inSecondProcess(token, "enable", t.version);
    long unwrapsBefore = t.counted.count(Operation.UNWRAP);
    t.earlier.get(0).assertDecrypts(t.crypto); // the next request probes and recovers

    KeyAccessStatus healed = t.crypto.keyAccess().status();
    assertEquals(KeyAccessState.AVAILABLE, healed.state());
    assertEquals(LossCause.NONE, healed.cause());
    assertEquals(t.version, healed.currentVersion());
    assertTrue(
        t.events.stream().anyMatch(e -> e instanceof KeyAccessEvent.StateChanged
            && ((KeyAccessEvent.StateChanged) e).from().state() == KeyAccessState.UNAVAILABLE
            && ((KeyAccessEvent.StateChanged) e).to().state() == KeyAccessState.AVAILABLE),
        "recovery event: " + t.events);

    assertEverythingWrittenDecrypts(t);
    assertTrue(t.counted.count(Operation.UNWRAP) > unwrapsBefore + t.earlier.size(),
        "the purged data keys were unwrapped again in the token");
    Written fresh = Written.encrypt(t.crypto, "after-recovery", 1000);
    assertEquals(t.version, EnvelopeInfo.of(fresh.envelope).keyReference());
    fresh.assertDecrypts(t.crypto);
  }

  @Test
  void guard_keyEnabledBySecondProcessAt40Minutes_staysRefreshRequiredUntilRefresh()
      throws Exception {
    Tripped t = disableMidTraffic("enabled-at-40-minutes");
    t.traffic.stop();
    assertEquals(List.of(), t.traffic.unexpected());

    clock.advance(Duration.ofMinutes(40));
    KeyAccessStatus locked = t.crypto.keyAccess().status();
    assertEquals(KeyAccessState.REFRESH_REQUIRED, locked.state());
    assertEquals(LossCause.KEY_DISABLED, locked.cause());
    assertEquals(t.lostAt, locked.since());
    assertEquals(Duration.ZERO, locked.graceRemaining());
    KeyAccessDeniedException stillDisabled =
        assertThrows(KeyAccessDeniedException.class, () -> t.crypto.keyAccess().refresh());
    assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, stillDisabled.reason());
    assertEquals(KeyAccessState.REFRESH_REQUIRED, t.crypto.keyAccess().status().state());

    SoftHsm.inSecondProcess(token, "enable", t.version);
    clock.advance(Duration.ofMinutes(5));
    long callsWhileLocked = providerCalls(t.counted);
    for (int i = 0; i < 20; i++) {
      KeyAccessSuspendedException e =
          assertThrows(KeyAccessSuspendedException.class, () -> t.earlier.get(0).assertDecrypts(t.crypto));
      assertTrue(e.refreshRequired(), "access came back after the grace window");
      assertThrows(KeyAccessSuspendedException.class, () -> Written.encrypt(t.crypto, "locked", 10));
      t.crypto.keyAccess().probeIfDue();
      clock.advance(Duration.ofMinutes(1));
    }
    assertEquals(KeyAccessState.REFRESH_REQUIRED, t.crypto.keyAccess().status().state());
    assertEquals(callsWhileLocked, providerCalls(t.counted),
        "neither requests nor probes reach the token while a refresh is required");

    KeyAccessStatus refreshed = t.crypto.keyAccess().refresh();
    assertEquals(KeyAccessState.AVAILABLE, refreshed.state());
    assertEquals(LossCause.NONE, refreshed.cause());
    assertEquals(t.version, refreshed.currentVersion());
    assertEverythingWrittenDecrypts(t);
    Written fresh = Written.encrypt(t.crypto, "after-refresh", 1000);
    assertEquals(t.version, EnvelopeInfo.of(fresh.envelope).keyReference());
    fresh.assertDecrypts(t.crypto);
  }

  private static void assertEverythingWrittenDecrypts(Tripped t) {
    for (Written w : t.earlier) {
      w.assertDecrypts(t.crypto);
    }
    List<Written> written = t.traffic.written();
    assertFalse(written.isEmpty(), "the traffic wrote envelopes");
    for (Written w : written) {
      w.assertDecrypts(t.crypto);
    }
  }

  // ------------------------------------------------------------------ fixture

  /** A guarded instance whose key a second process disabled mid-traffic; the guard has tripped. */
  private static final class Tripped {
    final KeyReference version;
    final FaultInjectingProvider counted;
    final EnvelopeCrypto crypto;
    final List<KeyAccessEvent> events;
    final List<Written> earlier;
    final Traffic traffic;
    final Instant lostAt;

    Tripped(KeyReference version, FaultInjectingProvider counted, EnvelopeCrypto crypto,
        List<KeyAccessEvent> events, List<Written> earlier, Traffic traffic, Instant lostAt) {
      this.version = version;
      this.counted = counted;
      this.crypto = crypto;
      this.events = events;
      this.earlier = earlier;
      this.traffic = traffic;
      this.lostAt = lostAt;
    }
  }

  /**
   * Creates a key, starts traffic through a guarded instance, disables the key from a second JVM,
   * advances the manual clock past the probe interval and waits until every traffic thread has been
   * refused a few times. Returns with the traffic still running.
   */
  private Tripped disableMidTraffic(String keyName) throws Exception {
    KeyReference version = provider.manager().createKey(keyName, 2048);

    // Envelopes written by another instance, a data key each, so that the guarded instance
    // really unwraps in the token before the traffic starts.
    List<Written> earlier = new ArrayList<>();
    try (EnvelopeCrypto writer =
        CmkOnToken.guarded(provider, version, clock).dataKeyLimits(DataKeyLimits.singleUse()).build()) {
      for (int i = 0; i < 8; i++) {
        earlier.add(Written.encrypt(writer, keyName + "/earlier/" + i, 200 * i));
      }
    }

    FaultInjectingProvider counted = FaultInjectingProvider.wrapping(provider);
    List<KeyAccessEvent> events = new CopyOnWriteArrayList<>();
    EnvelopeCrypto crypto = CmkOnToken.guarded(counted, version, clock).listener(events::add).build();
    toClose.add(crypto);
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    long unwraps = counted.count(Operation.UNWRAP);
    for (Written w : earlier) {
      w.assertDecrypts(crypto);
    }
    assertEquals(unwraps + earlier.size(), counted.count(Operation.UNWRAP),
        "each earlier envelope was unwrapped in the token");

    Traffic traffic = new Traffic(crypto, clock, earlier);
    toClose.add(traffic::stop);
    traffic.start();
    awaitTrue(() -> traffic.succeeded() >= 300, "traffic to flow");

    SoftHsm.inSecondProcess(token, "disable", version);

    Instant lostAt = clock.instant().plus(PAST_PROBE_INTERVAL);
    traffic.revokedBy(lostAt);
    clock.advance(PAST_PROBE_INTERVAL);
    for (int thread = 0; thread < THREADS; thread++) {
      int n = thread;
      awaitTrue(() -> traffic.suspendedPerThread()[n] >= 20,
          "traffic thread " + n + " to be refused");
    }
    return new Tripped(version, counted, crypto, events, earlier, traffic, lostAt);
  }

  /**
   * A few threads encrypting (and reading back) new envelopes and decrypting earlier ones in a
   * loop through one guarded instance, recording every envelope whose encryption succeeded.
   */
  private static final class Traffic {
    private static final int MAX_KEPT = 20_000;

    private final EnvelopeCrypto crypto;
    private final ManualClock clock;
    private final List<Written> earlier;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong succeeded = new AtomicLong();
    private final AtomicLong lateSuccesses = new AtomicLong();
    private final AtomicLong[] suspended = new AtomicLong[THREADS];
    private final AtomicInteger kept = new AtomicInteger();
    private final ConcurrentLinkedQueue<Written> written = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile Instant revokedBy = Instant.MAX;

    Traffic(EnvelopeCrypto crypto, ManualClock clock, List<Written> earlier) {
      this.crypto = crypto;
      this.clock = clock;
      this.earlier = List.copyOf(earlier);
      for (int i = 0; i < THREADS; i++) {
        suspended[i] = new AtomicLong();
      }
    }

    void start() {
      for (int i = 0; i < THREADS; i++) {
        int n = i;
        Thread thread = new Thread(() -> run(n), "cmk-traffic-" + n);
        threads.add(thread);
        thread.start();
      }
    }

    /** Operations that read the clock at or after {@code instant} must not succeed. */
    void revokedBy(Instant instant) {
      revokedBy = instant;
    }

    private void run(int thread) {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      for (long i = 0; !stop.get(); i++) {
        Instant started = clock.instant();
        try {
          if (i % 2 == 0) {
            Written w = Written.encrypt(crypto, "traffic/" + thread + "/" + i, random.nextInt(512));
            succeeded(started);
            if (kept.incrementAndGet() <= MAX_KEPT) {
              written.add(w);
            }
            w.assertDecrypts(crypto);
          } else {
            earlier.get(random.nextInt(earlier.size())).assertDecrypts(crypto);
          }
          succeeded(started);
        } catch (KeyAccessSuspendedException e) {
          suspended[thread].incrementAndGet();
        } catch (Throwable t) {
          unexpected.add(t);
        }
        LockSupport.parkNanos(200_000);
      }
    }

    private void succeeded(Instant started) {
      succeeded.incrementAndGet();
      if (!started.isBefore(revokedBy)) {
        lateSuccesses.incrementAndGet();
      }
    }

    void stop() throws InterruptedException {
      stop.set(true);
      for (Thread thread : threads) {
        thread.join(10_000);
        assertFalse(thread.isAlive(), thread.getName() + " did not stop");
      }
    }

    long succeeded() {
      return succeeded.get();
    }

    long lateSuccesses() {
      return lateSuccesses.get();
    }

    long[] suspendedPerThread() {
      long[] out = new long[THREADS];
      for (int i = 0; i < THREADS; i++) {
        out[i] = suspended[i].get();
      }
      return out;
    }

    List<Written> written() {
      return List.copyOf(written);
    }

    List<Throwable> unexpected() {
      return List.copyOf(unexpected);
    }
  }
}
