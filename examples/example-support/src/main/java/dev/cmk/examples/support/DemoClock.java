package dev.cmk.examples.support;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock for demonstrations and end-to-end tests of a running server: a base clock (normally the
 * system clock) plus an offset that only grows, so a walkthrough can show what happens 31 minutes
 * after a key was revoked without waiting 31 minutes. Time keeps flowing between jumps. The
 * example servers use it only when started with {@code --demo-clock}, which is also the only way
 * their {@code POST /$demo-clock} endpoint exists.
 *
 * <p>Not for production: whoever can call {@link #advance} decides when caches expire and when the
 * loss-of-access grace window ends.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; {@link #advance} is atomic.
 */
public final class DemoClock extends Clock {
  private final Clock base;
  private final AtomicReference<Duration> offset;

  private DemoClock(Clock base, AtomicReference<Duration> offset) {
    this.base = base;
    this.offset = offset;
  }

  /** {@return a demo clock on the UTC system clock, not yet advanced} */
  public static DemoClock systemUtc() {
    return on(Clock.system(ZoneOffset.UTC));
  }

  /**
   * A demo clock running with {@code base}, not yet advanced.
   *
   * @param base the underlying clock
   * @return the clock
   * @throws NullPointerException if {@code base} is null
   */
  public static DemoClock on(Clock base) {
    return new DemoClock(Objects.requireNonNull(base, "base"),
        new AtomicReference<>(Duration.ZERO));
  }

  /**
   * Jumps forward.
   *
   * @param duration how far: more than zero, at most one day
   * @return the new time
   * @throws NullPointerException if {@code duration} is null
   * @throws IllegalArgumentException if {@code duration} is out of that range
   */
  public Instant advance(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isZero() || duration.isNegative() || duration.compareTo(Duration.ofDays(1)) > 0) {
      throw new IllegalArgumentException("the demo clock advances by more than 0 and at most 1 day");
    }
    offset.updateAndGet(o -> o.plus(duration));
    return instant();
  }

  /** {@return how far this clock is ahead of its base} */
  public Duration offset() {
    return offset.get();
  }

  @Override
  public Instant instant() {
    return base.instant().plus(offset.get());
  }

  @Override
  public ZoneId getZone() {
    return base.getZone();
  }

  /** Returns the same time source in another zone (advancing either moves both). */
  @Override
  public Clock withZone(ZoneId zone) {
    return new DemoClock(base.withZone(Objects.requireNonNull(zone, "zone")), offset);
  }

  @Override
  public String toString() {
    return "DemoClock[" + instant() + ", ahead by " + offset.get() + "]";
  }
}
