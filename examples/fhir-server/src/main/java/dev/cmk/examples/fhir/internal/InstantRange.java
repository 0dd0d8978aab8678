package dev.cmk.examples.fhir.internal;

import java.time.Instant;
import java.util.Objects;

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
    return new InstantRange(Objects.requireNonNull(from, "from"), null);
  }

  /** The range {@code (-inf, until)}. */
  static InstantRange before(Instant until) {
    return new InstantRange(null, Objects.requireNonNull(until, "until"));
  }
}
