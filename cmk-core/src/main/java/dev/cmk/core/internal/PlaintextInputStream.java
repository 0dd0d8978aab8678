package dev.cmk.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * The common front of the streams that hand out decrypted plaintext ({@link DecryptingInputStream},
 * {@link ChannelRangeReader#stream}): a single-byte read goes through the bulk read, and every bulk
 * read checks its arguments and that the stream is still open before the subclass decrypts
 * anything.
 *
 * <p><b>Thread safety:</b> not thread-safe, like the streams built on it.
 */
abstract class PlaintextInputStream extends InputStream {
  private boolean closed;

  @Override
  public final int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public final int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new IOException("stream closed");
    }
    return readOpen(b, off, len);
  }

  /**
   * Reads from the open stream, as {@link InputStream#read(byte[], int, int)}.
   *
   * @param b the destination
   * @param off where to start in {@code b} (already checked)
   * @param len how many bytes at most (already checked, may be 0)
   * @return the number of bytes read, or -1 at the end of the stream
   * @throws IOException if reading fails
   */
  abstract int readOpen(byte[] b, int off, int len) throws IOException;

  /**
   * Marks the stream closed: every later read throws.
   *
   * @return whether it was open until now
   */
  final boolean markClosed() {
    boolean wasOpen = !closed;
    closed = true;
    return wasOpen;
  }
}
