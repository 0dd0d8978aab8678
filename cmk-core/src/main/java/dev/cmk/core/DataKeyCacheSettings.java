package dev.cmk.core;

import java.time.Duration;
import java.util.Objects;

/**
 * Bounds of the decrypt-side cache of unwrapped data keys.
 *
 * <p>The cache is keyed by the wrapped data key, so envelopes that share a data key share one
 * unwrap. Concurrent readers of an uncached key wait for a single unwrap call (single flight).
 * Evicted and expired keys are overwritten with zeros. On an authoritative loss of access
 * (disabled, deleted, forbidden key) the whole cache is purged at once, so revocation does not
 * wait for {@code maxAge}.
 *
 * @param maxEntries most data keys kept, at least 1
 * @param maxAge longest a key is kept after it was unwrapped, positive
 */
public record DataKeyCacheSettings(long maxEntries, Duration maxAge) {

  /** Default: 10,000 data keys, 1 hour. */
  public static final DataKeyCacheSettings DEFAULT =
      new DataKeyCacheSettings(10_000, Duration.ofHours(1));

  /**
   * Validates the bounds.
   *
   * @param maxEntries most data keys kept, at least 1
   * @param maxAge longest a key is kept after it was unwrapped, positive
   */
  public DataKeyCacheSettings {
    Objects.requireNonNull(maxAge, "maxAge");
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be at least 1");
    }
    if (maxAge.isZero() || maxAge.isNegative()) {
      throw new IllegalArgumentException("maxAge must be positive");
    }
  }
}
