package dev.cmk.core;

import java.io.Closeable;
import java.io.InputStream;

/**
 * Random-access decryption of one envelope stored in a seekable channel: reads and authenticates
 * only the segments that cover the requested range (one DICOM frame out of a 2 GiB object costs one
 * or two segments, not the whole object).
 *
 * <p><b>Security guarantees:</b> every byte returned comes from a segment whose tag verified under
 * the envelope's header, at its own position (segment index and last-segment flag are bound into
 * each nonce), so ranges cannot be spliced, reordered or truncated undetected. The header
 * commitment is verified when the reader is opened.
 *
 * <p><b>Loss of access:</b> a reader holds its data key for as long as it is open, so every
 * segment read first asks the {@link KeyAccessGuard}: once the customer's key is found revoked
 * (within the guard's probe interval, as for any read) the reader refuses with {@link
 * dev.cmk.api.KeyAccessSuspendedException} and serves again when the guard reopens.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; reads of the underlying channel are
 * serialized.
 */
public interface RangeReader extends Closeable {

  /**
   * {@return the length of the whole plaintext} A range reader always knows it: by default it is
   * {@link #info()}'s {@link EnvelopeInfo#plaintextLength() plaintextLength}.
   */
  default long plaintextLength() {
    return info().plaintextLength().orElseThrow();
  }

  /** {@return the envelope's header fields, with its envelope and plaintext lengths} */
  EnvelopeInfo info();

  /**
   * Decrypts {@code length} bytes starting at plaintext offset {@code offset}.
   *
   * @param offset start, 0 &le; offset &le; plaintextLength
   * @param length bytes to read; offset + length &le; plaintextLength
   * @return exactly {@code length} bytes
   * @throws IndexOutOfBoundsException if the range is outside the plaintext
   * @throws dev.cmk.api.InvalidCiphertextException if a needed segment does not authenticate
   *     (nothing of the range is returned)
   * @throws dev.cmk.api.KeyAccessSuspendedException if access to the key is suspended
   * @throws java.io.UncheckedIOException if the channel fails
   */
  byte[] read(long offset, int length);

  /**
   * A stream over {@code length} plaintext bytes from {@code offset}, decrypting one segment at a
   * time (constant memory).
   *
   * @param offset start
   * @param length bytes
   * @return the stream; its reads throw {@link dev.cmk.api.InvalidCiphertextException} on a
   *     segment that does not authenticate, the guard's exceptions while access is suspended, and
   *     {@link java.io.IOException} after {@code close()}
   * @throws IndexOutOfBoundsException if the range is outside the plaintext
   */
  InputStream stream(long offset, long length);

  /** Closes the underlying channel. */
  @Override
  void close();
}
