package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import java.util.Arrays;

/**
 * The segment loops of one-shot (byte array) encryption and decryption. Decryption writes into a
 * fresh array that is zeroed if any segment fails, so no plaintext of a partly verified envelope
 * is ever returned.
 */
public final class OneShot {
  private OneShot() {}

  /**
   * The whole envelope: {@code header} followed by {@code plaintext} sealed segment by segment.
   *
   * @throws IllegalArgumentException if the envelope would not fit in a byte array
   */
  public static byte[] seal(Header header, MessageCrypto crypto, byte[] plaintext) {
    int segmentSize = header.segmentSize();
    int headerLength = header.length();
    long total = headerLength + BodyLayout.bodyLength(plaintext.length, segmentSize);
    if (total > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("plaintext too large for a byte array: use a stream");
    }
    byte[] out = new byte[(int) total];
    System.arraycopy(header.bytes(), 0, out, 0, headerLength);
    int in = 0;
    int o = headerLength;
    long index = 0;
    do {
      int n = Math.min(segmentSize, plaintext.length - in);
      boolean last = in + n == plaintext.length;
      o += crypto.encryptSegment(index++, last, plaintext, in, n, out, o);
      in += n;
    } while (in < plaintext.length);
    return out;
  }

  /**
   * The plaintext of {@code envelope}, whose {@code header} was parsed, whose length was checked
   * ({@link #plaintextLength}) and whose {@code crypto} verified the header.
   *
   * @throws InvalidCiphertextException if a segment does not verify
   */
  public static byte[] open(byte[] envelope, Header header, long plaintextLength,
      MessageCrypto crypto) {
    int s = header.segmentSize();
    byte[] out = new byte[(int) plaintextLength];
    int in = header.length();
    int o = 0;
    long index = 0;
    try {
      do {
        int n = (int) Math.min(s, plaintextLength - o);
        boolean last = o + n == plaintextLength;
        o += crypto.decryptSegment(index++, last, envelope, in, n + MessageCrypto.TAG_LENGTH, out,
            o);
        in += n + MessageCrypto.TAG_LENGTH;
      } while (o < plaintextLength);
    } catch (RuntimeException e) {
      Arrays.fill(out, (byte) 0);
      throw e;
    }
    return out;
  }

  /**
   * The plaintext length the envelope's size implies under its header.
   *
   * @throws InvalidCiphertextException if no plaintext length gives that size
   */
  public static long plaintextLength(byte[] envelope, Header header) {
    return BodyLayout.plaintextLength(envelope.length - (long) header.length(),
        header.segmentSize());
  }
}
