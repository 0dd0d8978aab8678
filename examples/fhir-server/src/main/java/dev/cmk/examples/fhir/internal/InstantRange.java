package dev.cmk.examples.fhir.internal;

import java.time.Instant;
import java.util.Optional;

/**
 * A half-open range of instants {@code [from, until)}; either bound may be absent (unbounded).
 *
 * @param from the inclusive lower bound, or {@code null} for no lower bound
 * @param until the exclusive upper bound, or {@code null} for no upper bound
 */
public record InstantRange(Instant from, Instant until) {
  /** Every instant. */
  public static final InstantRange ALL = new InstantRange(null, null);

  /**
   * Validates.
   *
   * @throws IllegalArgumentException if {@code until} is not after {@code from}
   */
  public InstantRange {
    if (from != null && until != null && !until.isAfter(from)) {
      throw new IllegalArgumentException("until must be after from");
    }
  }

  /** The range {@code [from, +inf)}. */
  static InstantRange atOrAfter(Instant from) {
    return new InstantRange(java.util.Objects.requireNonNull(from, "from"), null);
  }

  /** The range {@code (-inf, until)}. */
  static InstantRange before(Instant until) {
    return new InstantRange(null, java.util.Objects.requireNonNull(until, "until"));
  }

  /** The inclusive lower bound, if any. */
  public Optional<Instant> lower() {
    return Optional.ofNullable(from);
  }

  /** The exclusive upper bound, if any. */
  public Optional<Instant> upper() {
    return Optional.ofNullable(until);
  }

  /**
   * Whether the instant lies in this range.
   *
   * @param instant the instant
   * @return {@code from <= instant < until}
   */
  public boolean contains(Instant instant) {
    return (from == null || !instant.isBefore(from)) && (until == null || instant.isBefore(until));
  }
}
