package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;

/**
 * Segment arithmetic of the envelope body: every segment but the last carries exactly S plaintext
 * bytes; the last carries 1..S bytes, or 0 only when it is the only segment (empty plaintext).
 * Each segment adds a 16-byte tag.
 */
public final class BodyLayout {
  private BodyLayout() {}

  /** Ciphertext length of the body for {@code plaintextLength} bytes. */
  public static long bodyLength(long plaintextLength, int segmentSize) {
    if (plaintextLength < 0) {
      throw new IllegalArgumentException("plaintextLength must not be negative");
    }
    long segments = segmentCount(plaintextLength, segmentSize);
    return plaintextLength + segments * MessageCrypto.TAG_LENGTH;
  }

  /** Number of segments for {@code plaintextLength} bytes (at least one). */
  public static long segmentCount(long plaintextLength, int segmentSize) {
    return plaintextLength == 0 ? 1 : (plaintextLength + segmentSize - 1) / segmentSize;
  }

  /**
   * Plaintext length of a body of {@code bodyLength} bytes.
   *
   * @throws InvalidCiphertextException if no plaintext length produces that body length
   */
  public static long plaintextLength(long bodyLength, int segmentSize) {
    long full = segmentSize + (long) MessageCrypto.TAG_LENGTH;
    if (bodyLength < MessageCrypto.TAG_LENGTH) {
      throw new InvalidCiphertextException();
    }
    long segments = (bodyLength + full - 1) / full;
    long last = bodyLength - (segments - 1) * full;
    if (last < MessageCrypto.TAG_LENGTH || (segments > 1 && last == MessageCrypto.TAG_LENGTH)) {
      throw new InvalidCiphertextException();
    }
    if (segments - 1 > 0xFFFF_FFFFL) {
      throw new InvalidCiphertextException();
    }
    return (segments - 1) * segmentSize + (last - MessageCrypto.TAG_LENGTH);
  }
}
