package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
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
import org.junit.jupiter.api.Test;

/**
 * A write whose new data key cannot be wrapped: the write fails before anything exists, and what
 * the failure means for the key depends on whether the provider's answer is authoritative. A
 * transient failure fails only that write (and the guard stays available until transient failures
 * have kept the key unconfirmed past probe interval + trip threshold); a denial trips the guard at
 * once, so every later request is refused with the suspension error. One data key per message, so
 * every write wraps.
 */
class WrapFailureTest {
  private static final byte[] AAD = "Patient/1/1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);
  private static final int ATTEMPTS_PER_CALL = 1 + KeyAccessSettings.DEFAULT.maxRetries();

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider vault = InMemoryKeyProvider.builder().clock(clock).build();
  private final FaultInjectingProvider faults = FaultInjectingProvider.wrapping(vault);
  private final KeyReference key = vault.manager().createKey("wrap-failure", 2048);
  private final EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(faults)
      .writeKey(key.versionless()).clock(clock).sleeper(clock::advance)
      .dataKeyLimits(DataKeyLimits.singleUse()).build();

  @Test
  void transientWrapFailure_failsOnlyThatWrite_withTheProviderError_guardStaysAvailable() {
    byte[] before = crypto.encrypt(DATA, AAD);
    faults.failNext(Operation.WRAP, ATTEMPTS_PER_CALL, Fault.transientFailure());

    assertThrows(KeyProviderUnavailableException.class, () -> crypto.encrypt(DATA, AAD));

    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    assertArrayEquals(DATA, crypto.decrypt(before, AAD));
    assertArrayEquals(DATA, crypto.decrypt(crypto.encrypt(DATA, AAD), AAD));
  }

  @Test
  void transientWrapFailure_isRetriedWithinTheCall_beforeItFailsTheWrite() {
    faults.failNext(Operation.WRAP, ATTEMPTS_PER_CALL - 1, Fault.transientFailure());
    faults.resetCounters();

    byte[] envelope = crypto.encrypt(DATA, AAD);

    assertEquals(ATTEMPTS_PER_CALL, faults.count(Operation.WRAP));
    assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
  }

  @Test
  void deniedWrap_whileAvailable_tripsTheGuard_andLaterReadsAndWritesAreRefused() {
    byte[] before = crypto.encrypt(DATA, AAD);
    faults.failNext(Operation.WRAP, 1, Fault.denied(KeyAccessDeniedException.Reason.KEY_DISABLED));
    Instant deniedAt = clock.instant();

    KeyAccessSuspendedException e =
        assertThrows(KeyAccessSuspendedException.class, () -> crypto.encrypt(DATA, AAD));

    assertInstanceOf(KeyAccessDeniedException.class, e.getCause());
    KeyAccessStatus status = crypto.keyAccess().status();
    assertEquals(KeyAccessState.UNAVAILABLE, status.state());
    assertEquals(LossCause.KEY_DISABLED, status.cause());
    assertEquals(deniedAt, status.since());
    assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(before, AAD));
    assertThrows(KeyAccessSuspendedException.class, () -> crypto.encrypt(DATA, AAD));
  }

  @Test
  void transientFailuresOfEveryCall_pastProbeIntervalPlusTripThreshold_tripTheGuard() {
    crypto.encrypt(DATA, AAD);
    KeyAccessSettings s = KeyAccessSettings.DEFAULT;
    Instant firstFailure = clock.instant();
    Instant limit = firstFailure.plus(s.probeInterval()).plus(s.transientTripThreshold());
    for (Operation op : Operation.values()) {
      faults.setFault(op, Fault.transientFailure());
    }

    while (clock.instant().isBefore(limit)) {
      RuntimeException last = assertThrows(RuntimeException.class, () -> crypto.encrypt(DATA, AAD));
      assertInstanceOf(KeyProviderUnavailableException.class, last,
          "before the limit a write fails with the provider's transient error");
      assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
      clock.advance(Duration.ofSeconds(10));
    }
    clock.advance(Duration.ofSeconds(10));
    assertThrows(KeyAccessSuspendedException.class, () -> crypto.encrypt(DATA, AAD));

    KeyAccessStatus status = crypto.keyAccess().status();
    assertEquals(KeyAccessState.UNAVAILABLE, status.state());
    assertEquals(LossCause.PROVIDER_UNAVAILABLE, status.cause());
    // dated from the first failing call (after its in-call retries), not from the trip
    assertFalse(status.since().isBefore(firstFailure));
    assertTrue(status.since().isBefore(firstFailure.plus(Duration.ofSeconds(10))), status::toString);
  }
}
