package dev.cmk.core;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the encrypt side may keep using one data key before it makes (and wraps) a new one.
 *
 * <p>Reusing a data key across messages is what keeps wraps — and, more importantly, later unwraps
 * on the read path — rare. Every message under one data key gets its own nonce prefix from the
 * writer that made the key (a counter, so prefixes never repeat; at most 2^56 - 1 messages per data
 * key whatever {@code maxMessages} says), and AES-GCM's bound on the data one key may protect
 * (about 2^48 blocks, 4 PiB, for a 2^-32 distinguishing advantage) is far above the default byte
 * limit (see {@code docs/envelope-format.md}). The limits bound the blast radius of one exposed
 * data key and how long a key version change takes to reach new writes.
 *
 * <p>A new data key is also made whenever the key-encryption key version used for writes changes
 * (rotation). The byte limit is checked when a message starts: one streamed message may run past
 * it.
 *
 * @param maxMessages messages per data key, at least 1
 * @param maxBytes plaintext bytes per data key, at least 1
 * @param maxAge age of a data key, positive
 */
public record DataKeyLimits(long maxMessages, long maxBytes, Duration maxAge) {

  /** Default: 1,048,576 messages, 64 GiB, 1 hour — whichever comes first. */
  public static final DataKeyLimits DEFAULT =
      new DataKeyLimits(1L << 20, 64L << 30, Duration.ofHours(1));

  /**
   * Validates the limits.
   *
   * @param maxMessages messages per data key, at least 1
   * @param maxBytes plaintext bytes per data key, at least 1
   * @param maxAge age of a data key, positive
   */
  public DataKeyLimits {
    Objects.requireNonNull(maxAge, "maxAge");
    if (maxMessages < 1) {
      throw new IllegalArgumentException("maxMessages must be at least 1");
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be at least 1");
    }
    if (maxAge.isZero() || maxAge.isNegative()) {
      throw new IllegalArgumentException("maxAge must be positive");
    }
  }

  /**
   * {@return limits that give every message its own data key: one wrap per write, one unwrap per
   * read}
   */
  public static DataKeyLimits singleUse() {
    return new DataKeyLimits(1, Long.MAX_VALUE, Duration.ofDays(365));
  }
}
