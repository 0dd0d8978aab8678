package dev.cmk.core.internal;

import java.util.function.LongConsumer;

/**
 * The encrypt side: leases a data key and begins a new envelope under it. {@link WriteDataKeys}
 * writes format 1 (each envelope carries the wrapped data key), {@link RecordWriteDataKeys} format
 * 2 (each envelope names a data-key record in a store).
 */
public interface EnvelopeWriter {

  /**
   * A new envelope's beginning: its header (complete), the crypto that seals its segments, and
   * where a stream counts the plaintext bytes it encrypts toward the data key's limit.
   */
  record Begun(Header header, MessageCrypto crypto, LongConsumer usage) {}

  /**
   * Leases a data key and begins a new envelope under it.
   *
   * @param plaintextBytes the message size when known, else 0 (a stream counts its bytes)
   * @param segmentSize plaintext bytes per segment
   * @param associatedData the caller's associated data
   */
  Begun begin(long plaintextBytes, int segmentSize, byte[] associatedData);

  /** Forgets (and destroys) the current data key, so the next write makes a new one. */
  void invalidate();

  /** Data keys made so far. */
  long dataKeysCreated();
}
