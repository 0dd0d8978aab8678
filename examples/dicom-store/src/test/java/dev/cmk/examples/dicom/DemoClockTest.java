package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class DemoClockTest {
  private static final Instant T = Instant.parse("2026-12-07T10:00:00Z");

  @Test
  void advance_movesForwardOnlyAndSharesTheOffsetAcrossZones() {
    DemoClock clock = DemoClock.on(Clock.fixed(T, ZoneOffset.UTC));
    Clock paris = clock.withZone(ZoneId.of("Europe/Paris"));
    assertEquals(T.plus(Duration.ofMinutes(31)), clock.advance(Duration.ofMinutes(31)));
    assertEquals(T.plus(Duration.ofMinutes(31)), paris.instant());
    assertEquals(Duration.ofMinutes(31), clock.offset());
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofSeconds(-1)));
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofDays(1).plusNanos(1)));
    assertEquals(Duration.ofMinutes(31), clock.offset());
  }
}
