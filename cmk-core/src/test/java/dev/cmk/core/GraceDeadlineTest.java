package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The 30-minute edge, exactly. The guard learns of a loss at D (its first probe after the last
 * confirmation C, D - C is at most one probe interval P with a request every second) and cannot
 * know when in [C, D] the customer acted. The grace period G counts from D, and one more probe
 * runs at the deadline D + G whatever the backoff says. So, with t the disable and requests every
 * second:
 *
 * <ul>
 *   <li>detection: the first refusal comes within P of t;
 *   <li>X = G: access restored less than G after t always recovers by itself;
 *   <li>Y = G + P: access lost longer than G + P always needs {@code refresh()}; Y - X = P.
 * </ul>
 */
class GraceDeadlineTest {
  private static final byte[] AAD = "Patient/1/1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);
  private static final Duration P = KeyAccessSettings.DEFAULT.probeInterval();
  private static final Duration G = KeyAccessSettings.DEFAULT.gracePeriod();
  private static final Duration ONE_SECOND = Duration.ofSeconds(1);

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
  private KeyReference v1;
  private EnvelopeCrypto crypto;
  private byte[] envelope;
  private Instant disabledAt;
  private Instant firstRefusal;

  /** Confirms the key, disables it {@code offset} seconds later, serves until the first refusal. */
  private void disableAfterConfirmation(int offsetSeconds) {
    v1 = provider.manager().createKey("edge-" + offsetSeconds, 2048);
    crypto = EnvelopeCrypto.builder().provider(provider).writeKey(v1.versionless()).clock(clock)
        .sleeper(clock::advance).build();
    envelope = crypto.encrypt(DATA, AAD); // confirmation C = now
    Instant confirmed = crypto.keyAccess().status().lastConfirmed();
    for (int i = 0; i < offsetSeconds; i++) {
      clock.advance(ONE_SECOND);
      assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
    }
    provider.manager().setEnabled(v1, false);
    disabledAt = clock.instant();
    assertEquals(confirmed.plusSeconds(offsetSeconds), disabledAt);
    while (firstRefusal == null) {
      try {
        crypto.decrypt(envelope, AAD);
        clock.advance(ONE_SECOND);
      } catch (KeyAccessSuspendedException e) {
        firstRefusal = clock.instant();
      }
    }
  }

  /** Requests every second until {@code until}; returns whether the last one succeeded. */
  private boolean serveEverySecondUntil(Instant until) {
    boolean ok = false;
    while (clock.instant().isBefore(until)) {
      clock.advance(ONE_SECOND);
      try {
        ok = DATA.length == crypto.decrypt(envelope, AAD).length;
      } catch (KeyAccessSuspendedException e) {
        ok = false;
      }
    }
    return ok;
  }

  @ParameterizedTest(name = "disabled {0} s after the last confirmation")
  @ValueSource(ints = {0, 30, 59})
  void detection_firstRefusalWithinOneProbeIntervalOfTheDisable(int offset) {
    disableAfterConfirmation(offset);
    assertFalse(firstRefusal.isAfter(disabledAt.plus(P)),
        "refused at " + firstRefusal + ", disabled at " + disabledAt);
    assertEquals(LossCause.KEY_DISABLED, crypto.keyAccess().status().cause());
  }

  @ParameterizedTest(name = "disabled {0} s after the last confirmation")
  @ValueSource(ints = {0, 30, 59})
  void restoredOneSecondBeforeX_recoversByItself(int offset) {
    disableAfterConfirmation(offset);
    Instant restore = disabledAt.plus(G).minus(ONE_SECOND);
    serveEverySecondUntil(restore);
    provider.manager().setEnabled(v1, true);
    boolean recovered = serveEverySecondUntil(disabledAt.plus(G).plus(P).plus(P));
    assertTrue(recovered, "restored within G of the loss: no refresh needed");
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
  }

  @ParameterizedTest(name = "disabled {0} s after the last confirmation")
  @ValueSource(ints = {0, 30, 59})
  void restoredOneSecondAfterY_needsRefresh(int offset) {
    disableAfterConfirmation(offset);
    Instant restore = disabledAt.plus(G).plus(P).plus(ONE_SECOND);
    serveEverySecondUntil(restore);
    provider.manager().setEnabled(v1, true);
    assertFalse(serveEverySecondUntil(restore.plus(Duration.ofMinutes(5))));
    assertEquals(KeyAccessState.REFRESH_REQUIRED, crypto.keyAccess().status().state());
    crypto.keyAccess().refresh();
    assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
  }

  @ParameterizedTest(name = "restored {0} s before the deadline")
  @ValueSource(ints = {20, 1})
  void restoredBetweenBackoffProbesJustBeforeTheDeadline_recoversAtTheDeadlineProbe(int before) {
    disableAfterConfirmation(0);
    Instant deadline = firstRefusal.plus(G);
    serveEverySecondUntil(deadline.minusSeconds(before));
    provider.manager().setEnabled(v1, true);
    serveEverySecondUntil(deadline);
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state(),
        "the deadline probe ran whatever the backoff said");
    assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
  }

  @ParameterizedTest(name = "first request {0} s after the deadline")
  @ValueSource(ints = {5, 120})
  void noRequestAtTheDeadline_restoredLater_stillNeedsRefresh(int late) {
    disableAfterConfirmation(0);
    Instant deadline = firstRefusal.plus(G);
    clock.set(deadline.plusSeconds(late).minusSeconds(1));
    provider.manager().setEnabled(v1, true);
    clock.advance(ONE_SECOND);
    KeyAccessStatus status = crypto.keyAccess().status();
    assertEquals(KeyAccessState.REFRESH_REQUIRED, status.state(),
        "a probe long after the deadline cannot tell whether access came back in time");
  }
}
