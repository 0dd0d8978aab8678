package dev.cmk.core.fuzz;

import java.io.InputStream;
import java.util.Objects;

/**
 * An input stream that serves {@code prefix} and then, optionally, {@code tail} more bytes of
 * filler (up to gigabytes, produced on demand, never held), counting every byte it hands out. Lets
 * a test prove how far a reader trusted a length field: a header claiming a 2 GiB part must be
 * rejected after a bounded number of bytes, not after draining the stream.
 */
final class CountingInputStream extends InputStream {
  private final byte[] prefix;
  private final long total;
  private long position;

  CountingInputStream(byte[] prefix) {
    this(prefix, 0);
  }

  CountingInputStream(byte[] prefix, long tail) {
    this.prefix = prefix.clone();
    this.total = prefix.length + tail;
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    if (position >= total) {
      return -1;
    }
    int n = (int) Math.min(len, total - position);
    for (int i = 0; i < n; i++) {
      long p = position + i;
      b[off + i] = p < prefix.length ? prefix[(int) p] : (byte) (p * 131 + 17);
    }
    position += n;
    return n;
  }

  /** Bytes handed out so far. */
  long count() {
    return position;
  }
}
