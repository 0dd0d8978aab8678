package dev.cmk.core;

import dev.cmk.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;

/**
 * Request traffic for the fleet-state tests: replicas get one request a second on a {@link
 * ManualClock}, and a scenario waits (in clock time, never in real time) until a replica refuses or
 * serves again. Each test's replica decides what "served" means.
 */
final class FleetTraffic {
  private static final Duration SECOND = Duration.ofSeconds(1);
  private static final int LIMIT_SECONDS = 3600;

  /** One instance of the service under test. */
  interface Target {
    /**
     * Sends one request.
     *
     * @return true if it was served, false if it was refused as the loss-of-access guard refuses
     */
    boolean serves();
  }

  private final ManualClock clock;

  FleetTraffic(ManualClock clock) {
    this.clock = clock;
  }

  /** Every second until {@code d} has passed: each target gets a request. */
  void serveEverySecondFor(Duration d, Target... targets) {
    Instant until = clock.instant().plus(d);
    while (clock.instant().isBefore(until)) {
      clock.advance(SECOND);
      for (Target t : targets) {
        t.serves();
      }
    }
  }

  /** Requests every second to {@code t} until it refuses (at most an hour); returns when. */
  Instant untilRefused(Target t) {
    for (int i = 0; i < LIMIT_SECONDS; i++) {
      if (!t.serves()) {
        return clock.instant();
      }
      clock.advance(SECOND);
    }
    throw new AssertionError("never refused");
  }

  /** A second later, then every second, a request to {@code t} until it is served; returns when. */
  Instant untilServed(Target t) {
    for (int i = 0; i < LIMIT_SECONDS; i++) {
      clock.advance(SECOND);
      if (t.serves()) {
        return clock.instant();
      }
    }
    throw new AssertionError("never served");
  }
}
