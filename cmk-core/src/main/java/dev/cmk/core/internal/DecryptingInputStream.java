package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads an envelope body segment by segment, releasing a segment's plaintext only after its tag
 * verified. One byte of look-ahead tells the last segment from the others, so truncation at a
 * segment boundary, dropped or reordered segments and appended bytes all fail authentication.
 *
 * <p>An authentication failure is thrown as {@link InvalidCiphertextException} (unchecked) from
 * {@code read}; end of stream is only reported after the last segment verified. After a failure
 * every further read throws again. Not thread-safe.
 */
public final class DecryptingInputStream extends InputStream {
  private final InputStream source;
  private final MessageCrypto crypto;
  private final int segmentSize;
  private final byte[] sealed; // S + 16 + 1 look-ahead
  private final byte[] plain;
  private int carried; // 0 or 1 look-ahead byte at sealed[0]
  private int pos;
  private int limit;
  private long index;
  private boolean done;
  private boolean closed;
  private RuntimeException failure;

  public DecryptingInputStream(InputStream source, EnvelopeHeader header, MessageCrypto crypto) {
    this.source = Objects.requireNonNull(source, "source");
    this.crypto = crypto;
    this.segmentSize = header.segmentSize();
    this.sealed = new byte[segmentSize + MessageCrypto.TAG_LENGTH + 1];
    this.plain = new byte[segmentSize];
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new IOException("stream closed");
    }
    if (failure != null) {
      throw failure;
    }
    if (len == 0) {
      return 0;
    }
    while (pos == limit) {
      if (done) {
        return -1;
      }
      nextSegment();
    }
    int n = Math.min(len, limit - pos);
    System.arraycopy(plain, pos, b, off, n);
    pos += n;
    return n;
  }

  private void nextSegment() throws IOException {
    int want = sealed.length;
    int have = carried;
    while (have < want) {
      int r = source.read(sealed, have, want - have);
      if (r < 0) {
        break;
      }
      have += r;
    }
    boolean last = have < want;
    int segmentLength = last ? have : want - 1;
    try {
      if (segmentLength < MessageCrypto.TAG_LENGTH
          || (last && index > 0 && segmentLength == MessageCrypto.TAG_LENGTH)) {
        throw new InvalidCiphertextException();
      }
      limit = crypto.decryptSegment(index, last, sealed, 0, segmentLength, plain, 0);
    } catch (InvalidCiphertextException e) {
      failure = e;
      pos = 0;
      limit = 0;
      Arrays.fill(plain, (byte) 0);
      throw e;
    }
    pos = 0;
    index++;
    if (last) {
      done = true;
      carried = 0;
    } else {
      sealed[0] = sealed[want - 1];
      carried = 1;
    }
  }

  @Override
  public int available() {
    return limit - pos;
  }

  @Override
  public void close() throws IOException {
    if (!closed) {
      closed = true;
      Arrays.fill(plain, (byte) 0);
      source.close();
    }
  }
}
