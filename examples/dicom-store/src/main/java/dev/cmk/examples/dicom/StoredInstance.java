package dev.cmk.examples.dicom;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.RangeReader;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;

/**
 * One stored instance, opened for reading: its envelope header and last segment have been
 * authenticated, so {@link #length()} is proven (a truncated or extended file never gets this far).
 *
 * <p><b>Security guarantees:</b> both streams release plaintext segment by segment, each only after
 * its GCM tag verified at its own position; a tampered segment makes the stream throw {@link
 * dev.cmk.api.InvalidCiphertextException} before any of its bytes are returned.
 *
 * <p><b>Thread safety:</b> not thread-safe; one request uses it and closes it.
 */
final class StoredInstance implements Closeable {
  private final FileChannel channel;
  private final RangeReader reader;
  private final EnvelopeCrypto crypto;
  private final byte[] associatedData;
  private final String etag;

  StoredInstance(
      FileChannel channel,
      RangeReader reader,
      EnvelopeCrypto crypto,
      byte[] associatedData,
      String etag) {
    this.channel = channel;
    this.reader = reader;
    this.crypto = crypto;
    this.associatedData = associatedData.clone();
    this.etag = etag;
  }

  /** Plaintext length in bytes (the DICOM instance's size). */
  long length() {
    return reader.plaintextLength();
  }

  /** Strong ETag (quoted), derived from the authenticated envelope header; new on every upload. */
  String etag() {
    return etag;
  }

  /** Segment size of the stored envelope. */
  int segmentSize() {
    return reader.info().segmentSize();
  }

  /**
   * The whole instance, decrypted sequentially in constant memory.
   *
   * @return the stream; reads throw {@link dev.cmk.api.InvalidCiphertextException} at a segment
   *     that does not authenticate
   * @throws IOException if the file cannot be read
   */
  InputStream whole() throws IOException {
    channel.position(0);
    InputStream file =
        new FilterInputStream(Channels.newInputStream(channel)) {
          @Override
          public void close() {
            // the channel is closed with this instance, not with one of its streams
          }
        };
    return crypto.decryptingStream(file, associatedData);
  }

  /**
   * Bytes {@code offset .. offset+length-1}, decrypting only the segments that cover them.
   *
   * @param offset first byte
   * @param length number of bytes
   * @return the stream; reads throw {@link dev.cmk.api.InvalidCiphertextException} at a segment
   *     that does not authenticate
   * @throws IndexOutOfBoundsException if the range is outside the instance
   */
  InputStream range(long offset, long length) {
    return reader.stream(offset, length);
  }

  /** Closes the file. */
  @Override
  public void close() throws IOException {
    try {
      reader.close();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
