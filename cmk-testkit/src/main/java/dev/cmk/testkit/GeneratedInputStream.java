package dev.cmk.testkit;

import java.io.InputStream;
import java.util.Objects;

/**
 * A source of a given length whose bytes are generated as they are read and never held, for
 * proving that code streams in constant memory: a test can feed gigabytes through a heap smaller
 * than the input. Subclasses say what the bytes are in {@link #generate}.
 *
 * <p>Bytes are generated in order, each exactly once, also when skipped ({@link #skip} reads them),
 * so a generator may keep state (a random generator, a running digest).
 *
 * <p>Not thread-safe, like any {@code InputStream}.
 */
public abstract class GeneratedInputStream extends InputStream {
  private final long length;
  private final byte[] single = new byte[1]; // read()'s byte, reused
  private long position;

  /**
   * A source of {@code length} bytes.
   *
   * @param length how many bytes it delivers, not negative
   * @throws IllegalArgumentException if {@code length} is negative
   */
  protected GeneratedInputStream(long length) {
    if (length < 0) {
      throw new IllegalArgumentException("length must not be negative");
    }
    this.length = length;
  }

  /**
   * Writes the bytes at {@code position .. position + len - 1} into {@code b[off .. off + len - 1]}.
   * Called with increasing positions, each range following the previous one, and {@code len} at
   * least 1.
   *
   * @param position where in the source the bytes are
   * @param b the destination
   * @param off where in {@code b}
   * @param len how many, within the source's length
   */
  protected abstract void generate(long position, byte[] b, int off, int len);

  /** {@return how many bytes this source delivers in all} */
  public final long length() {
    return length;
  }

  /** {@return how many bytes were read (or skipped) so far} */
  public final long position() {
    return position;
  }

  @Override
  public final int read() {
    return read(single, 0, 1) < 0 ? -1 : single[0] & 0xff;
  }

  @Override
  public final int read(byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    if (position == length) {
      return -1;
    }
    int n = (int) Math.min(len, length - position);
    generate(position, b, off, n);
    position += n;
    return n;
  }

  /** {@return the bytes left, at most {@link Integer#MAX_VALUE}} */
  @Override
  public final int available() {
    return (int) Math.min(length - position, Integer.MAX_VALUE);
  }
}
