package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.Fault;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The loss-of-access circuit breaker, driven by a manual clock and the in-memory provider. */
class KeyAccessGuardTest {
  private static final byte[] AAD = "Patient/1/1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);
  private static final InMemoryKeyProvider SHARED = InMemoryKeyProvider.builder().build();

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
  private final FaultInjectingProvider faults = FaultInjectingProvider.wrapping(provider);
  private final List<KeyAccessEvent> events = new CopyOnWriteArrayList<>();
  private KeyReference v1;
  private EnvelopeCrypto crypto;

  private EnvelopeCrypto build() {
    v1 = provider.manager().createKey("guarded-" + System.nanoTime() % 100000, 2048);
    crypto = EnvelopeCrypto.builder()
        .provider(faults)
        .writeKey(v1.versionless())
        .clock(clock)
        .sleeper(clock::advance)
        .listener(events::add)
        .build();
    return crypto;
  }

  private long providerCalls() {
    return faults.describeCount() + faults.wrapCount() + faults.unwrapCount();
  }

  /** Disables the key and lets the next request's probe notice; returns the trip time. */
  private Instant disableAndTrip(byte[] envelope) {
    provider.manager().setEnabled(v1, false);
    clock.advance(Duration.ofSeconds(61));
    KeyAccessSuspendedException e =
        assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(envelope, AAD));
    assertFalse(e.refreshRequired());
    assertEquals(KeyAccessState.UNAVAILABLE, crypto.keyAccess().status().state());
    return clock.instant();
  }

  @Test
  void keyDisabled_nextOperationsFailFastWithoutProviderCalls() {
    build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    disableAndTrip(envelope);
    KeyAccessStatus status = crypto.keyAccess().status();
    assertEquals(LossCause.KEY_DISABLED, status.cause());
    assertEquals(Duration.ofMinutes(30), status.graceRemaining());
    assertEquals(0, crypto.diagnostics().cachedDataKeys(), "authoritative denial purges cached data keys");
    long calls = providerCalls();
    for (int i = 0; i < 100; i++) {
      assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(envelope, AAD));
      assertThrows(KeyAccessSuspendedException.class, () -> crypto.encrypt(DATA, AAD));
    }
    assertEquals(calls, providerCalls(), "no provider call per request while open");
    KeyAccessSuspendedException e =
        assertThrows(KeyAccessSuspendedException.class, () -> crypto.encrypt(DATA, AAD));
    assertTrue(e.getMessage().contains("not accessible"), e.getMessage());
    assertTrue(e.getMessage().contains("KEY_DISABLED"), e.getMessage());
  }

  /** The status's values that may be absent are null until known, and kept while access is lost. */
  @Test
  void status_decryptOnlyThenConfirmedThenLost_currentVersionAndLastErrorNullUntilKnown() {
    KeyAccessStatus readOnly =
        EnvelopeCrypto.builder().provider(faults).clock(clock).build().keyAccess().status();
    assertNull(readOnly.configuredKey());
    assertNull(readOnly.currentVersion(), "a decrypt-only instance writes under no version");
    assertNull(readOnly.lastError());
    build();
    KeyAccessStatus confirmed = crypto.keyAccess().status();
    assertEquals(v1, confirmed.currentVersion(), "confirmed when built");
    assertNull(confirmed.lastError(), "nothing failed");
    disableAndTrip(crypto.encrypt(DATA, AAD));
    KeyAccessStatus lost = crypto.keyAccess().status();
    assertEquals(v1, lost.currentVersion(), "the version in use is kept while access is lost");
    assertNotNull(lost.lastError(), "the provider's refusal is reported");
  }

  @ParameterizedTest
  @ValueSource(ints = {5, 29})
  void accessRestoredWithinGrace_recoversByItself(int minutes) {
    build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    Instant trippedAt = disableAndTrip(envelope);
    clock.set(trippedAt.plus(Duration.ofMinutes(minutes)));
    provider.manager().setEnabled(v1, true);
    byte[] plaintext = null;
    for (int step = 0; step < 12 && plaintext == null; step++) {
      try {
        plaintext = crypto.decrypt(envelope, AAD);
      } catch (KeyAccessSuspendedException stillWaitingForProbe) {
        clock.advance(Duration.ofSeconds(5));
      }
    }
    assertArrayEquals(DATA, plaintext);
    assertTrue(Duration.between(trippedAt, clock.instant()).compareTo(Duration.ofMinutes(30)) < 0);
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    assertArrayEquals(DATA, crypto.decrypt(crypto.encrypt(DATA, AAD), AAD));
  }

  @ParameterizedTest
  @ValueSource(ints = {31, 60})
  void accessRestoredAfterGrace_staysLockedUntilRefresh(int minutes) {
    build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    Instant trippedAt = disableAndTrip(envelope);
    clock.set(trippedAt.plus(Duration.ofMinutes(minutes)));
    provider.manager().setEnabled(v1, true);
    long calls = providerCalls();
    for (int i = 0; i < 10; i++) {
      KeyAccessSuspendedException e =
          assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(envelope, AAD));
      assertTrue(e.refreshRequired());
      assertTrue(e.getMessage().contains("refresh"), e.getMessage());
      clock.advance(Duration.ofMinutes(1));
    }
    assertEquals(calls, providerCalls(), "a locked guard does not probe");
    assertEquals(KeyAccessState.REFRESH_REQUIRED, crypto.keyAccess().status().state());
    KeyAccessStatus after = crypto.keyAccess().refresh();
    assertEquals(KeyAccessState.AVAILABLE, after.state());
    assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
  }

  @Test
  void refresh_whileKeyStillDisabled_failsAndStaysLocked() {
    build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    disableAndTrip(envelope);
    clock.advance(Duration.ofMinutes(40));
    assertThrows(dev.cmk.api.KeyAccessDeniedException.class, () -> crypto.keyAccess().refresh());
    assertEquals(KeyAccessState.REFRESH_REQUIRED, crypto.keyAccess().status().state());
  }

  @Test
  void flappingAccess_eachRecoveryRestartsTheGraceWindow() {
    build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    for (int cycle = 0; cycle < 5; cycle++) {
      disableAndTrip(envelope);
      clock.advance(Duration.ofMinutes(8));
      provider.manager().setEnabled(v1, true);
      assertArrayEquals(DATA, crypto.decrypt(envelope, AAD), "cycle " + cycle);
    }
    // 5 cycles span more than 40 minutes; every outage was shorter than 30, so no refresh needed.
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    long trips = events.stream().filter(e -> e instanceof KeyAccessEvent.StateChanged
        && ((KeyAccessEvent.StateChanged) e).to().state() == KeyAccessState.UNAVAILABLE).count();
    assertEquals(5, trips);
  }

  @Test
  void transientOutageShorterThanThreshold_noTripAndReadsServedFromCache() {
    build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    for (Operation op : Operation.values()) {
      faults.setFault(op, Fault.transientFailure());
    }
    long unwraps = faults.unwrapCount();
    Instant start = clock.instant();
    while (clock.instant().isBefore(start.plus(Duration.ofSeconds(90)))) {
      clock.advance(Duration.ofSeconds(15));
      assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
    }
    assertEquals(unwraps, faults.unwrapCount(), "served from the data-key cache");
    assertThrows(KeyProviderUnavailableException.class, () -> crypto.encrypt(DATA, AAD),
        "writes need a fresh confirmation");
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    faults.clearFaults();
    clock.advance(Duration.ofSeconds(10));
    assertArrayEquals(DATA, crypto.decrypt(crypto.encrypt(DATA, AAD), AAD));
    assertTrue(events.stream().noneMatch(e -> e instanceof KeyAccessEvent.StateChanged));
  }

  @Test
  void transientOutageLongerThanThreshold_tripsWithoutPurgingAndRecovers() {
    build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    for (Operation op : Operation.values()) {
      faults.setFault(op, Fault.transientFailure());
    }
    Instant start = clock.instant();
    KeyAccessSuspendedException tripped = null;
    while (tripped == null && clock.instant().isBefore(start.plus(Duration.ofMinutes(5)))) {
      clock.advance(Duration.ofSeconds(15));
      try {
        crypto.decrypt(envelope, AAD);
      } catch (KeyAccessSuspendedException e) {
        tripped = e;
      }
    }
    assertNotNull(tripped, "persistent transient failures trip the guard");
    KeyAccessStatus status = crypto.keyAccess().status();
    assertEquals(LossCause.PROVIDER_UNAVAILABLE, status.cause());
    assertTrue(crypto.diagnostics().cachedDataKeys() > 0, "transient failures do not purge");
    faults.clearFaults();
    clock.advance(Duration.ofSeconds(30));
    assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
  }

  @Test
  void revocationBound_noDecryptSucceedsLaterThanOneProbeIntervalAfterDisable() {
    build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    clock.advance(Duration.ofSeconds(37)); // somewhere inside a confirmation period
    Instant disabledAt = clock.instant();
    provider.manager().setEnabled(v1, false);
    Instant lastSuccess = null;
    for (int i = 0; i < 40; i++) {
      try {
        crypto.decrypt(envelope, AAD);
        lastSuccess = clock.instant();
      } catch (KeyAccessSuspendedException expected) {
        // revoked
      }
      clock.advance(Duration.ofSeconds(5));
    }
    assertNotNull(lastSuccess);
    assertTrue(
        lastSuccess.isBefore(disabledAt.plus(KeyAccessSettings.DEFAULT.probeInterval())),
        "last success at " + Duration.between(disabledAt, lastSuccess) + " after disable");
  }

  @Test
  void identityChange_takesEffectOnRefresh() {
    KeyReference key = SHARED.manager().createKey("identity-" + System.nanoTime() % 100000, 2048);
    dev.cmk.testkit.FaultInjectingProvider oldIdentity =
        dev.cmk.testkit.FaultInjectingProvider.wrapping(SHARED);
    dev.cmk.testkit.FaultInjectingProvider newIdentity =
        dev.cmk.testkit.FaultInjectingProvider.wrapping(SHARED);
    java.util.concurrent.atomic.AtomicReference<KeyConfiguration> config =
        new java.util.concurrent.atomic.AtomicReference<>(new KeyConfiguration(oldIdentity, key));
    EnvelopeCrypto c = EnvelopeCrypto.builder()
        .keyConfiguration(config::get)
        .clock(clock)
        .sleeper(clock::advance)
        .build();
    byte[] envelope = c.encrypt(DATA, AAD);
    oldIdentity.denyIdentity(true);
    clock.advance(Duration.ofSeconds(61));
    assertThrows(KeyAccessSuspendedException.class, () -> c.decrypt(envelope, AAD));
    assertEquals(LossCause.IDENTITY_NOT_AUTHORIZED, c.keyAccess().status().cause());
    config.set(new KeyConfiguration(newIdentity, key));
    clock.advance(Duration.ofMinutes(1));
    assertThrows(KeyAccessSuspendedException.class, () -> c.decrypt(envelope, AAD),
        "the new identity is not used before refresh");
    c.keyAccess().refresh();
    assertArrayEquals(DATA, c.decrypt(envelope, AAD));
    assertTrue(newIdentity.unwrapCount() + newIdentity.describeCount() > 0);
  }

  @Test
  void events_tripAndRecovery_areReportedInOrder() {
    build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    events.clear();
    disableAndTrip(envelope);
    provider.manager().setEnabled(v1, true);
    clock.advance(Duration.ofSeconds(10));
    crypto.decrypt(envelope, AAD);
    List<String> names = new ArrayList<>();
    for (KeyAccessEvent e : events) {
      names.add(e.eventName());
    }
    assertEquals(List.of("cmk.key.state-changed", "cmk.key.data-keys-purged",
        "cmk.key.state-changed"), names);
  }

  @Test
  void backgroundProbe_recoversWithoutAnyRequest() throws Exception {
    v1 = provider.manager().createKey("background", 2048);
    java.util.concurrent.ScheduledExecutorService scheduler =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    try {
      EnvelopeCrypto c = EnvelopeCrypto.builder()
          .provider(faults)
          .writeKey(v1.versionless())
          .clock(clock)
          .sleeper(clock::advance)
          .keyAccess(KeyAccessSettings.DEFAULT.withProbeBackoff(Duration.ofMillis(20), Duration.ofMillis(20)))
          .backgroundProbe(scheduler)
          .build();
      provider.manager().setEnabled(v1, false);
      clock.advance(Duration.ofMinutes(2));
      awaitState(c, KeyAccessState.UNAVAILABLE);
      provider.manager().setEnabled(v1, true);
      clock.advance(Duration.ofSeconds(1));
      awaitState(c, KeyAccessState.AVAILABLE);
      c.close();
    } finally {
      scheduler.shutdownNow();
    }
  }

  private static void awaitState(EnvelopeCrypto c, KeyAccessState expected) throws InterruptedException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (c.keyAccess().status().state() != expected && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(expected, c.keyAccess().status().state());
  }

  @Test
  void staleConfirmation_manyConcurrentRequests_probeOnce() throws Exception {
    build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    faults.setLatency(Duration.ofMillis(100));
    clock.advance(Duration.ofMinutes(2));
    long describes = faults.describeCount();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(32);
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        results.add(pool.submit(() -> {
          go.await();
          return crypto.decrypt(envelope, AAD);
        }));
      }
      go.countDown();
      for (java.util.concurrent.Future<byte[]> f : results) {
        assertArrayEquals(DATA, f.get(30, java.util.concurrent.TimeUnit.SECONDS));
      }
    } finally {
      faults.setLatency(Duration.ZERO);
      pool.shutdownNow();
    }
    assertEquals(1, faults.describeCount() - describes, "single-flight probe");
  }
}
