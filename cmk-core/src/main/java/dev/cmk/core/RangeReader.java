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
 * <p><b>Thread safety:</b> safe for concurrent use; reads of the underlying channel are
 * serialized.
 */
public interface RangeReader extends Closeable {

  /** Length of the whole plaintext. */
  long plaintextLength();

  /** The envelope's header fields. */
  EnvelopeInfo info();

  /**
   * Decrypts {@code length} bytes starting at plaintext offset {@code offset}.
   *
   * @param offset start, 0 &le; offset &le; plaintextLength
   * @param length bytes to read; offset + length &le; plaintextLength
   * @return exactly {@code length} bytes
   * @throws IndexOutOfBoundsException if the range is outside the plaintext
   * @throws dev.cmk.api.InvalidCiphertextException if a needed segment does not authenticate
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
   *     segment that does not authenticate
   * @throws IndexOutOfBoundsException if the range is outside the plaintext
   */
  InputStream stream(long offset, long length);

  /** Closes the underlying channel. */
  @Override
  void close();
}
