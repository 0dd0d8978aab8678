package dev.cmk.examples.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.testkit.ManualClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class DemoClockTest {
  private static final Instant T = Instant.parse("2026-12-07T10:00:00Z");

  @Test
  void advance_movesAheadOfBase_andTimeKeepsFlowing() {
    ManualClock base = ManualClock.create();
    DemoClock clock = DemoClock.on(base);
    Instant start = base.instant();
    assertEquals(start.plus(Duration.ofMinutes(31)), clock.advance(Duration.ofMinutes(31)));
    base.advance(Duration.ofSeconds(5));
    assertEquals(start.plus(Duration.ofMinutes(31)).plusSeconds(5), clock.instant());
    assertEquals(Duration.ofMinutes(31), clock.offset());
  }

  @Test
  void advance_zeroNegativeOrMoreThanADay_refusedAndOffsetUnchanged() {
    DemoClock clock = DemoClock.on(Clock.fixed(T, ZoneOffset.UTC));
    clock.advance(Duration.ofMinutes(31));
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofSeconds(-1)));
    assertThrows(IllegalArgumentException.class,
        () -> clock.advance(Duration.ofDays(1).plusNanos(1)));
    assertEquals(Duration.ofMinutes(31), clock.offset());
    assertEquals(T.plus(Duration.ofDays(1)).plus(Duration.ofMinutes(31)),
        clock.advance(Duration.ofDays(1)));
  }

  @Test
  void withZone_sharesTheOffset() {
    DemoClock clock = DemoClock.on(Clock.fixed(T, ZoneOffset.UTC));
    Clock paris = clock.withZone(ZoneId.of("Europe/Paris"));
    assertEquals(ZoneId.of("Europe/Paris"), paris.getZone());
    clock.advance(Duration.ofHours(1));
    assertEquals(T.plus(Duration.ofHours(1)), paris.instant());
    assertEquals(clock.instant(), paris.instant());
  }

  @Test
  void systemUtc_notAdvanced_isUtc() {
    DemoClock clock = DemoClock.systemUtc();
    assertEquals(Duration.ZERO, clock.offset());
    assertEquals(ZoneOffset.UTC, clock.getZone());
  }
}
