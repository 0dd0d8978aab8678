package dev.cmk.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * An input that breaks part-way, for testing what code that streams into or out of cmk does when
 * its source fails: an upload whose client disconnects (the encrypting stream must be aborted, not
 * sealed), or a download whose connection resets (the decrypting stream must not report tampering
 * on a retry).
 *
 * <p>It delivers {@code data} up to exactly {@code failAt} (a read never crosses that position),
 * then throws {@link IOException} with the given message: on every later read ({@link
 * #failingAt}), or only on the first one, after which it continues with the rest of {@code data}
 * ({@link #failingOnceAt}). Not thread-safe.
 */
public final class FailingInputStream extends InputStream {
  private final byte[] data;
  private final int failAt;
  private final String message;
  private final boolean once;
  private int position;
  private boolean failed;

  private FailingInputStream(byte[] data, int failAt, String message, boolean once) {
    this.data = Objects.requireNonNull(data, "data");
    Objects.checkIndex(failAt, data.length + 1);
    this.failAt = failAt;
    this.message = Objects.requireNonNull(message, "message");
    this.once = once;
  }

  /**
   * Delivers {@code data[0, failAt)}, then fails on every read.
   *
   * @param data the bytes the source would have delivered
   * @param failAt how many of them are delivered, 0 &le; failAt &le; data.length
   * @param message the {@link IOException}'s message
   * @return the stream
   */
  public static FailingInputStream failingAt(byte[] data, int failAt, String message) {
    return new FailingInputStream(data, failAt, message, false);
  }

  /**
   * Delivers {@code data[0, failAt)}, fails once, then delivers the rest (a source that resumes
   * after a transient error).
   *
   * @param data the bytes the source delivers
   * @param failAt where the one failure happens, 0 &le; failAt &le; data.length
   * @param message the {@link IOException}'s message
   * @return the stream
   */
  public static FailingInputStream failingOnceAt(byte[] data, int failAt, String message) {
    return new FailingInputStream(data, failAt, message, true);
  }

  /** Bytes delivered so far. */
  public int position() {
    return position;
  }

  @Override
  public int read() throws IOException {
    failIfDue();
    return position < end() ? data[position++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    failIfDue();
    if (len == 0) {
      return 0;
    }
    int n = Math.min(len, end() - position);
    if (n <= 0) {
      return -1;
    }
    System.arraycopy(data, position, b, off, n);
    position += n;
    return n;
  }

  /** Throws the failure when the read position has reached it (once, or every time). */
  private void failIfDue() throws IOException {
    if (position == failAt && !(once && failed)) {
      failed = true;
      throw new IOException(message);
    }
  }

  /** Where the bytes end for now: at the failure until it has happened, then at the data's end. */
  private int end() {
    return position < failAt ? failAt : data.length;
  }
}
