package dev.cmk.core;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The loss-of-access guard's state as one immutable value, changed only through the named
 * transitions below (the guard swaps the whole value under its lock).
 *
 * @param kind available, unavailable or refresh required
 * @param since when {@code kind} began; for a loss, when it was found (the grace period counts
 *     from here)
 * @param cause why access is lost ({@link LossCause#NONE} while available)
 * @param lastError the last provider error text (no secrets), or null
 * @param currentVersion the version new writes use, or null before the first confirmation
 * @param confirmedAt when the configured key was last confirmed usable, or null
 * @param nextProbeAt earliest time of the next probe (backoff, {@code Retry-After} capped)
 * @param backoff the delay after the next failed probe while unavailable
 * @param transientSince start of the current streak of transient failures, or null
 * @param lastProbeAt when the provider was last asked, or null
 */
record GuardState(
    KeyAccessState kind,
    Instant since,
    LossCause cause,
    @Nullable String lastError,
    @Nullable KeyReference currentVersion,
    @Nullable Instant confirmedAt,
    Instant nextProbeAt,
    Duration backoff,
    @Nullable Instant transientSince,
    @Nullable Instant lastProbeAt) {

  /** Available, nothing confirmed yet. */
  static GuardState initial(Instant now, KeyAccessSettings settings) {
    return new GuardState(KeyAccessState.AVAILABLE, now, LossCause.NONE, null, null, null, now,
        settings.probeBackoffMin(), null, null);
  }

  /** The configured key was confirmed usable: available, writing under {@code version}. */
  GuardState confirmed(KeyReference version, Instant now, KeyAccessSettings settings) {
    return new GuardState(KeyAccessState.AVAILABLE,
        kind == KeyAccessState.AVAILABLE ? since : now, LossCause.NONE, null, version, now, now,
        settings.probeBackoffMin(), null, now);
  }

  /** Access was found lost at {@code now}; the loss counts from {@code lostSince}. */
  GuardState lost(LossCause why, @Nullable String error, Instant lostSince, Instant now,
      KeyAccessSettings settings) {
    return new GuardState(KeyAccessState.UNAVAILABLE, lostSince, why, error, currentVersion,
        confirmedAt, now.plus(settings.probeBackoffMin()), settings.probeBackoffMin(),
        transientSince, now);
  }

  /**
   * The fleet's record says access has been lost since {@code lostSince}: adopt its loss start
   * and cause (and, with {@code refresh}, its "refresh required").
   */
  GuardState adopted(KeyAccessState kind, Instant lostSince, LossCause why, Instant now,
      KeyAccessSettings settings) {
    return new GuardState(kind, lostSince, why, lastError, currentVersion, confirmedAt,
        kind == this.kind ? nextProbeAt : now.plus(settings.probeBackoffMin()),
        kind == this.kind ? backoff : settings.probeBackoffMin(), null, lastProbeAt);
  }

  /** The grace period ended and the deadline probe failed. */
  GuardState refreshRequired() {
    return new GuardState(KeyAccessState.REFRESH_REQUIRED, since, cause, lastError,
        currentVersion, confirmedAt, nextProbeAt, backoff, transientSince, lastProbeAt);
  }

  /**
   * A probe failed while unavailable: wait {@link #backoff}, double it (up to {@link
   * KeyAccessSettings#probeBackoffMax()}); a transient failure keeps the authoritative cause.
   */
  GuardState backedOff(
      LossCause why, @Nullable String error, Instant now, KeyAccessSettings settings) {
    Duration next = backoff.multipliedBy(2);
    if (next.compareTo(settings.probeBackoffMax()) > 0) {
      next = settings.probeBackoffMax();
    }
    LossCause c = why == LossCause.PROVIDER_UNAVAILABLE && cause != LossCause.NONE ? cause : why;
    return new GuardState(kind, since, c, error, currentVersion, confirmedAt, now.plus(backoff),
        next, transientSince, now);
  }

  /** A transient failure while available: starts or continues the streak. */
  GuardState transientStreak(@Nullable String error, Instant now, Instant probeAt) {
    return new GuardState(kind, since, cause, error, currentVersion, confirmedAt, probeAt, backoff,
        transientSince == null ? now : transientSince, now);
  }

  /** A provider call succeeded: the transient streak is over. */
  GuardState streakCleared() {
    return new GuardState(kind, since, cause, lastError, currentVersion, confirmedAt, nextProbeAt,
        backoff, null, lastProbeAt);
  }

  /**
   * Whether the last confirmation is due for renewal (older than {@link
   * KeyAccessSettings#reconfirmAfter()}) or missing.
   */
  boolean confirmationStale(Instant now, KeyAccessSettings settings) {
    return confirmedAt == null || !now.isBefore(confirmedAt.plus(settings.reconfirmAfter()));
  }

  /**
   * Whether transient failures have kept the configured key unconfirmed for longer than the
   * probe interval plus the trip threshold (checked on every operation).
   */
  boolean unconfirmedTooLong(Instant now, KeyAccessSettings settings) {
    return kind == KeyAccessState.AVAILABLE && transientSince != null && confirmedAt != null
        && !now.isBefore(confirmedAt.plus(settings.probeInterval())
            .plus(settings.transientTripThreshold()));
  }

  /**
   * Whether a probe should run now: while available, once the confirmation is stale; while
   * unavailable, when the backoff allows; never once a refresh is required.
   */
  boolean probeDue(Instant now, KeyAccessSettings settings) {
    if (kind == KeyAccessState.REFRESH_REQUIRED || now.isBefore(nextProbeAt)) {
      return false;
    }
    return kind != KeyAccessState.AVAILABLE || confirmationStale(now, settings);
  }

  /** Whether the grace period of an ongoing loss is still running. */
  boolean withinGrace(Instant now, KeyAccessSettings settings) {
    return now.isBefore(since.plus(settings.gracePeriod()));
  }

  /** The exception every refused operation gets while access is lost (HTTP 500 in servers). */
  KeyAccessSuspendedException suspended(String keyText, KeyAccessSettings settings,
      @Nullable Throwable cause) {
    boolean refresh = kind == KeyAccessState.REFRESH_REQUIRED;
    String message = "customer-managed key " + keyText + " is not accessible (" + this.cause
        + (lastError == null ? "" : ": " + lastError) + ")"
        + (refresh ? "; access was lost more than " + settings.gracePeriod().toMinutes()
            + " minutes ago, an explicit refresh is required" : "");
    return new KeyAccessSuspendedException(message, refresh, since, cause);
  }

  /** The public snapshot. */
  KeyAccessStatus toStatus(
      Instant now, KeyAccessSettings settings, @Nullable KeyReference configuredKey) {
    Duration remaining = Duration.ZERO;
    if (kind == KeyAccessState.UNAVAILABLE) {
      remaining = Duration.between(now, since.plus(settings.gracePeriod()));
      if (remaining.isNegative()) {
        remaining = Duration.ZERO;
      }
    }
    return new KeyAccessStatus(kind, since, cause, lastError, remaining, configuredKey,
        currentVersion, confirmedAt);
  }
}
