package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.RangeReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.Arrays;
import java.util.Objects;

/**
 * {@link RangeReader} over a {@link SeekableByteChannel}; see the interface for guarantees. Every
 * segment read asks the loss-of-access guard first ({@link KeyAccess#checkReadable(KeyVersionId)}), so a
 * reader kept open across a revocation stops serving within the probe interval.
 */
public final class ChannelRangeReader implements RangeReader {
  private final SeekableByteChannel channel;
  private final Header header;
  private final MessageCrypto crypto;
  private final EnvelopeInfo info;
  private final long plaintextLength;
  private final long segmentCount;
  private final int segmentSize;
  private final KeyAccess access;
  private final KeyVersionId version;

  public ChannelRangeReader(
      SeekableByteChannel channel,
      Header header,
      MessageCrypto crypto,
      EnvelopeInfo info,
      long plaintextLength,
      KeyAccess access) {
    this.channel = channel;
    this.access = Objects.requireNonNull(access, "access");
    this.header = header;
    this.crypto = crypto;
    this.info = info;
    this.plaintextLength = plaintextLength;
    this.segmentSize = header.segmentSize();
    this.version = crypto.version();
    this.segmentCount = BodyLayout.segmentCount(plaintextLength, segmentSize);
    // Authenticate the last segment now: that proves the total length (a file cut at a segment
    // boundary would otherwise report a shorter plaintext until its end was read).
    byte[] plain = new byte[segmentSize];
    decrypt(segmentCount - 1, new byte[segmentSize + MessageCrypto.TAG_LENGTH], plain);
    Arrays.fill(plain, (byte) 0);
  }

  @Override
  public EnvelopeInfo info() {
    return info;
  }

  @Override
  public byte[] read(long offset, int length) {
    checkRange(offset, length);
    byte[] out = new byte[length];
    int written = 0;
    byte[] plain = new byte[segmentSize];
    byte[] sealed = new byte[segmentSize + MessageCrypto.TAG_LENGTH];
    try {
      while (written < length) {
        long at = offset + written;
        long seg = at / segmentSize;
        int n = decrypt(seg, sealed, plain);
        int from = (int) (at - seg * segmentSize);
        int take = Math.min(length - written, n - from);
        System.arraycopy(plain, from, out, written, take);
        written += take;
      }
    } catch (RuntimeException e) {
      Arrays.fill(out, (byte) 0); // a later segment failed: the earlier plaintext goes too
      throw e;
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
    return out;
  }

  @Override
  public InputStream stream(long offset, long length) {
    checkRange(offset, length);
    return new PlaintextInputStream() {
      private final byte[] plain = new byte[segmentSize];
      private final byte[] sealed = new byte[segmentSize + MessageCrypto.TAG_LENGTH];
      private long next = offset;
      private final long end = offset + length;
      private long loadedSegment = -1;
      private int loadedLength;

      @Override
      int readOpen(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        if (next >= end) {
          return -1;
        }
        long seg = next / segmentSize;
        if (seg != loadedSegment) {
          loadedSegment = -1;
          loadedLength = decrypt(seg, sealed, plain);
          loadedSegment = seg;
        }
        int from = (int) (next - seg * segmentSize);
        int take = (int) Math.min(Math.min(len, loadedLength - from), end - next);
        System.arraycopy(plain, from, b, off, take);
        next += take;
        return take;
      }

      @Override
      public void close() {
        markClosed();
        loadedSegment = -1;
        Arrays.fill(plain, (byte) 0);
      }
    };
  }

  private void checkRange(long offset, long length) {
    if (offset < 0 || length < 0 || offset > plaintextLength || length > plaintextLength - offset) {
      throw new IndexOutOfBoundsException(
          "range [" + offset + ", +" + length + ") is outside plaintext of " + plaintextLength);
    }
  }

  /** Reads and authenticates segment {@code seg}; returns its plaintext length. */
  private int decrypt(long seg, byte[] sealed, byte[] plain) {
    access.checkReadable(version);
    boolean last = seg == segmentCount - 1;
    long full = segmentSize + (long) MessageCrypto.TAG_LENGTH;
    long position = header.length() + seg * full;
    int sealedLength =
        last
            ? (int) (plaintextLength - seg * segmentSize) + MessageCrypto.TAG_LENGTH
            : (int) full;
    ByteBuffer buf = ByteBuffer.wrap(sealed, 0, sealedLength);
    try {
      synchronized (channel) {
        channel.position(position);
        while (buf.hasRemaining()) {
          if (channel.read(buf) < 0) {
            throw new InvalidCiphertextException();
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return crypto.decryptSegment(seg, last, sealed, 0, sealedLength, plain, 0);
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
