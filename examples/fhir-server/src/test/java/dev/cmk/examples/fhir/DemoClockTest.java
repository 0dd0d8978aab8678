package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class DemoClockTest {
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
  void advance_zeroNegativeOrMoreThanADay_refused() {
    DemoClock clock = DemoClock.on(ManualClock.create());
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofMinutes(-1)));
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofDays(2)));
    assertEquals(Duration.ZERO, clock.offset());
  }

  @Test
  void withZone_sharesTheOffset() {
    DemoClock clock = DemoClock.on(ManualClock.create());
    java.time.Clock paris = clock.withZone(ZoneId.of("Europe/Paris"));
    clock.advance(Duration.ofHours(1));
    assertEquals(clock.instant(), paris.instant());
  }
}
