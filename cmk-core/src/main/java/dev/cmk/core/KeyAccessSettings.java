package dev.cmk.core;

import java.time.Duration;
import java.util.Objects;

/**
 * Timing of the loss-of-access guard. Defaults reproduce the Azure Health Data Services contract:
 * access restored within 30 minutes recovers by itself; after that an explicit refresh is needed.
 *
 * @param probeInterval how long a confirmation of the key's enabled state stays valid; reads and
 *     writes after that re-confirm first. This bounds how long a revoked key keeps serving cached
 *     data keys. Also how often a versionless key's latest version is re-resolved. Default 1 minute.
 * @param gracePeriod how long after access was lost a successful probe still recovers by itself.
 *     Default 30 minutes.
 * @param transientTripThreshold how long transient failures (timeouts, throttling, 5xx) must
 *     persist, after retries, before the guard opens. Default 2 minutes.
 * @param maxRetries retries of a transient failure within one call. Default 2.
 * @param retryBaseDelay first retry delay, doubled each retry. Default 200 ms.
 * @param retryMaxDelay longest wait for one retry; a provider's {@code Retry-After} longer than this
 *     is not waited for within the call. Default 2 seconds.
 * @param probeBackoffMin first probe delay after access was lost. Default 5 seconds.
 * @param probeBackoffMax longest delay between probes while unavailable. Default 30 seconds.
 * @param recentUseWindow a version that decrypted data within this window and then becomes
 *     unusable raises a {@link KeyAccessEvent.VersionUnavailable} warning. Default 7 days.
 * @param strictWrites when true, every new data key is wrapped only after the provider confirmed,
 *     at that moment, that the write key version is enabled (one {@code describe} per data key),
 *     instead of relying on a confirmation up to one probe interval old. Combined with {@link
 *     DataKeyLimits} of one message per data key, no envelope is written after the provider
 *     reports the key disabled. Default false: writes may continue for at most one probe interval
 *     after a disable.
 */
public record KeyAccessSettings(
    Duration probeInterval,
    Duration gracePeriod,
    Duration transientTripThreshold,
    int maxRetries,
    Duration retryBaseDelay,
    Duration retryMaxDelay,
    Duration probeBackoffMin,
    Duration probeBackoffMax,
    Duration recentUseWindow,
    boolean strictWrites) {

  /** The defaults. */
  public static final KeyAccessSettings DEFAULT =
      new KeyAccessSettings(
          Duration.ofMinutes(1),
          Duration.ofMinutes(30),
          Duration.ofMinutes(2),
          2,
          Duration.ofMillis(200),
          Duration.ofSeconds(2),
          Duration.ofSeconds(5),
          Duration.ofSeconds(30),
          Duration.ofDays(7),
          false);

  /**
   * Validates.
   *
   * @param gracePeriod see {@link #gracePeriod()}
   * @param maxRetries retries of a transient failure within one call
   * @param probeBackoffMax see {@link #probeBackoffMax()}
   * @param probeBackoffMin see {@link #probeBackoffMin()}
   * @param probeInterval see {@link #probeInterval()}
   * @param recentUseWindow see {@link #recentUseWindow()}
   * @param retryBaseDelay see {@link #retryBaseDelay()}
   * @param retryMaxDelay see {@link #retryMaxDelay()}
   * @param strictWrites see {@link #strictWrites()}
   * @param transientTripThreshold see {@link #transientTripThreshold()}
   */
  public KeyAccessSettings {
    positive(probeInterval, "probeInterval");
    positive(gracePeriod, "gracePeriod");
    nonNegative(transientTripThreshold, "transientTripThreshold");
    nonNegative(retryBaseDelay, "retryBaseDelay");
    nonNegative(retryMaxDelay, "retryMaxDelay");
    positive(probeBackoffMin, "probeBackoffMin");
    positive(probeBackoffMax, "probeBackoffMax");
    positive(recentUseWindow, "recentUseWindow");
    if (maxRetries < 0 || maxRetries > 10) {
      throw new IllegalArgumentException("maxRetries must be 0-10");
    }
    if (probeBackoffMax.compareTo(probeBackoffMin) < 0) {
      throw new IllegalArgumentException("probeBackoffMax must be at least probeBackoffMin");
    }
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
  }

  private static void nonNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative");
    }
  }

  /**
   * How old a confirmation may get before the guard renews it: the probe interval less the
   * spacing of guard calls it assumes (one second, or half the interval if that is shorter). With
   * a guarded call or a background probe at least every second, no confirmation that anything
   * relies on is ever older than {@link #probeInterval()}.
   *
   * @return the age at which a confirmation is renewed
   */
  public Duration reconfirmAfter() {
    Duration lead = probeInterval.dividedBy(2);
    if (lead.compareTo(Duration.ofSeconds(1)) > 0) {
      lead = Duration.ofSeconds(1);
    }
    return probeInterval.minus(lead);
  }

  /**
   * A copy with another probe interval.
   *
   * @param d the new value
   * @return the copy
   */
  public KeyAccessSettings withProbeInterval(Duration d) {
    return new KeyAccessSettings(d, gracePeriod, transientTripThreshold, maxRetries,
        retryBaseDelay, retryMaxDelay, probeBackoffMin, probeBackoffMax, recentUseWindow,
        strictWrites);
  }

  /**
   * A copy with another grace period.
   *
   * @param d the new value
   * @return the copy
   */
  public KeyAccessSettings withGracePeriod(Duration d) {
    return new KeyAccessSettings(probeInterval, d, transientTripThreshold, maxRetries,
        retryBaseDelay, retryMaxDelay, probeBackoffMin, probeBackoffMax, recentUseWindow,
        strictWrites);
  }

  /**
   * A copy with another transient trip threshold.
   *
   * @param d the new value
   * @return the copy
   */
  public KeyAccessSettings withTransientTripThreshold(Duration d) {
    return new KeyAccessSettings(probeInterval, gracePeriod, d, maxRetries,
        retryBaseDelay, retryMaxDelay, probeBackoffMin, probeBackoffMax, recentUseWindow,
        strictWrites);
  }

  /**
   * A copy with other retry settings.
   *
   * @param baseDelay first retry delay
   * @param maxDelay longest wait for one retry
   * @param maxRetries retries of a transient failure within one call
   * @return the copy
   */
  public KeyAccessSettings withRetries(int maxRetries, Duration baseDelay, Duration maxDelay) {
    return new KeyAccessSettings(probeInterval, gracePeriod, transientTripThreshold, maxRetries,
        baseDelay, maxDelay, probeBackoffMin, probeBackoffMax, recentUseWindow,
        strictWrites);
  }

  /**
   * A copy with strict writes on or off (see {@link #strictWrites()}).
   *
   * @param strict whether writes confirm the key before every new data key
   * @return the copy
   */
  public KeyAccessSettings withStrictWrites(boolean strict) {
    return new KeyAccessSettings(probeInterval, gracePeriod, transientTripThreshold, maxRetries,
        retryBaseDelay, retryMaxDelay, probeBackoffMin, probeBackoffMax, recentUseWindow, strict);
  }

  /**
   * A copy with other probe backoff bounds.
   *
   * @param max longest delay between probes
   * @param min first probe delay after access was lost
   * @return the copy
   */
  public KeyAccessSettings withProbeBackoff(Duration min, Duration max) {
    return new KeyAccessSettings(probeInterval, gracePeriod, transientTripThreshold, maxRetries,
        retryBaseDelay, retryMaxDelay, min, max, recentUseWindow,
        strictWrites);
  }
}
