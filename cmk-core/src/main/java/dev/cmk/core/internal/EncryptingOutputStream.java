package dev.cmk.core.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Writes an envelope: the header at construction, then one AES-GCM segment per {@code S}
 * plaintext bytes. A full segment is only sealed when more data arrives, so that {@link #close()}
 * can mark the true last segment. Memory is constant (two segment buffers) whatever the size.
 *
 * <p>Not thread-safe (like any {@link OutputStream}). After an exception the stream is failed:
 * further writes throw and close does not seal a last segment, so the partial envelope can never
 * pass for a complete one.
 */
public final class EncryptingOutputStream extends OutputStream {
  private final OutputStream sink;
  private final MessageCrypto crypto;
  private final int segmentSize;
  private final byte[] plain;
  private final byte[] sealed;
  private int buffered;
  private long index;
  private boolean closed;
  private boolean failed;

  public EncryptingOutputStream(
      OutputStream sink, EnvelopeHeader header, MessageCrypto crypto) throws IOException {
    this.sink = Objects.requireNonNull(sink, "sink");
    this.crypto = crypto;
    this.segmentSize = header.segmentSize();
    this.plain = new byte[segmentSize];
    this.sealed = new byte[segmentSize + MessageCrypto.TAG_LENGTH];
    sink.write(header.bytes());
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    ensureOpen();
    try {
      while (len > 0) {
        if (buffered == segmentSize) {
          emit(plain, 0, segmentSize, false);
          buffered = 0;
        }
        if (buffered == 0 && len > segmentSize) {
          // Whole segment straight from the caller's array; more data follows, so not last.
          emit(b, off, segmentSize, false);
          off += segmentSize;
          len -= segmentSize;
          continue;
        }
        int n = Math.min(len, segmentSize - buffered);
        System.arraycopy(b, off, plain, buffered, n);
        buffered += n;
        off += n;
        len -= n;
      }
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  private void emit(byte[] src, int off, int len, boolean last) throws IOException {
    int n = crypto.encryptSegment(index, last, src, off, len, sealed, 0);
    index++;
    sink.write(sealed, 0, n);
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    if (failed) {
      throw new IOException("stream failed earlier; the envelope is incomplete");
    }
  }

  @Override
  public void flush() throws IOException {
    sink.flush();
  }

  /** Seals the last segment and closes the sink. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (!failed) {
        emit(plain, 0, buffered, true);
      }
    } finally {
      Arrays.fill(plain, (byte) 0);
      sink.close();
    }
  }
}
