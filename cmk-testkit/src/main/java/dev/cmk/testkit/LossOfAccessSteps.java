package dev.cmk.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.LossOfAccessContract.GuardedEnvelopes;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** The steps {@link LossOfAccessContract}'s tests share. */
final class LossOfAccessSteps {
  static final byte[] AAD = "Patient/7/_history/1".getBytes(UTF_8);
  static final byte[] DATA = "{\"resourceType\":\"Patient\",\"id\":\"7\"}".getBytes(UTF_8);

  private LossOfAccessSteps() {}

  /**
   * Disables {@code key}, lets the probe interval pass and asserts that the next requests fail
   * fast within the grace window; returns when access was lost.
   */
  static Instant disableAndTrip(
      ContractSubject subject,
      GuardedEnvelopes guarded,
      ManualClock clock,
      KeyReference key,
      byte[] envelope) {
    assertArrayEquals(DATA, guarded.decrypt(envelope, AAD), "decrypts before the loss");
    subject.setEnabled(key, false);
    clock.advance(LossOfAccessContract.PROBE_INTERVAL.plusSeconds(1));
    Instant lostAt = clock.instant();
    KeyAccessSuspendedException tripped =
        assertThrows(KeyAccessSuspendedException.class, () -> guarded.decrypt(envelope, AAD));
    assertFalse(tripped.refreshRequired(), "within the grace window");
    assertEquals(Optional.of(lostAt), tripped.since(), "tripped by the first request after the probe interval");
    KeyAccessSuspendedException writing =
        assertThrows(KeyAccessSuspendedException.class, () -> guarded.encrypt(DATA, AAD));
    assertFalse(writing.refreshRequired());
    return lostAt;
  }

  /** Decrypts, advancing 5 s between attempts while the guard waits for its next probe. */
  static byte[] decryptOnceProbed(GuardedEnvelopes guarded, ManualClock clock, byte[] envelope) {
    for (int step = 0; step < 24; step++) {
      try {
        return guarded.decrypt(envelope, AAD);
      } catch (KeyAccessSuspendedException waitingForProbe) {
        assertFalse(waitingForProbe.refreshRequired());
        clock.advance(Duration.ofSeconds(5));
      }
    }
    throw new AssertionError("the guard did not recover within two probe intervals");
  }
}
