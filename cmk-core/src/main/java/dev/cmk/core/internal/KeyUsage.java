package dev.cmk.core.internal;

import dev.cmk.core.DataKeyLimits;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * What one data key (format 1) or one writer slot of a data-key record (format 2) has been used
 * for: messages admitted and plaintext bytes, the latter also counted as a stream reports them
 * ({@link #accept}), and the data key itself. The writers' {@code Active} states extend it with
 * their own age limits.
 *
 * <p>Thread-safe: the counters are atomic, so no two admitted messages get the same sequence
 * number.
 */
abstract class KeyUsage implements LongConsumer {
  /** The data key (format 1) or the record's data key (format 2) this usage is of. */
  final DataKey key;
  private final AtomicLong messages = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  KeyUsage(DataKey key) {
    this.key = key;
  }

  /** Counts bytes a stream encrypted under this key (beyond what {@link #admitMessage} took). */
  @Override
  public final void accept(long streamedBytes) {
    bytes.addAndGet(streamedBytes);
  }

  /**
   * Admits one more message by count and size (the caller checks age first).
   *
   * @param plaintextBytes the message's size as far as known (negative counts as 0)
   * @param limits the message and byte limits
   * @param ceiling the largest sequence number the format can carry
   * @return the message's sequence number (1, 2, ...; never the same twice), or 0 if a limit is
   *     reached and a new key (or slot) is needed
   */
  final long admitMessage(long plaintextBytes, DataKeyLimits limits, long ceiling) {
    long sequence = messages.incrementAndGet();
    if (sequence > limits.maxMessages() || sequence > ceiling) {
      return 0;
    }
    long before = bytes.getAndAdd(Math.max(0, plaintextBytes));
    return before < limits.maxBytes() ? sequence : 0;
  }
}
