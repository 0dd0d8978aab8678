package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ManualClockTest {

  @Test
  void create_standsAtStartOf2026Utc() {
    ManualClock c = ManualClock.create();
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"), c.instant());
    assertEquals(ZoneOffset.UTC, c.getZone());
  }

  @Test
  void advance_movesForwardAndReturnsNewInstant() {
    ManualClock c = ManualClock.startingAt(Instant.EPOCH);
    assertEquals(Instant.ofEpochSecond(5), c.advance(Duration.ofSeconds(5)));
    assertEquals(Instant.ofEpochSecond(5), c.instant());
    assertEquals(5000, c.millis());
  }

  @Test
  void advance_negative_throwsIllegalArgument() {
    ManualClock c = ManualClock.create();
    assertThrows(IllegalArgumentException.class, () -> c.advance(Duration.ofSeconds(-1)));
    assertThrows(NullPointerException.class, () -> c.advance(null));
  }

  @Test
  void set_canMoveBackwards() {
    ManualClock c = ManualClock.create();
    c.set(Instant.EPOCH);
    assertEquals(Instant.EPOCH, c.instant());
    assertThrows(NullPointerException.class, () -> c.set(null));
  }

  @Test
  void withZone_sharesTheTimeSource() {
    ManualClock c = ManualClock.create();
    java.time.Clock paris = c.withZone(ZoneId.of("Europe/Paris"));
    c.advance(Duration.ofHours(1));
    assertEquals(c.instant(), paris.instant());
    assertEquals(ZoneId.of("Europe/Paris"), paris.getZone());
  }
}
