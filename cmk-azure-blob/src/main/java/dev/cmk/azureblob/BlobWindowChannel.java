package dev.cmk.azureblob;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import org.jspecify.annotations.Nullable;

/**
 * A read-only channel over a {@link BlobSnapshot} for one range request: the header comes from the
 * snapshot's first bytes and the last segment from its cache; anything else is fetched with one
 * range GET from the position asked for to the end of the window (the ciphertext of the segments
 * the request covers), at most {@code maxFetch} bytes at a time. Not thread-safe (one request).
 */
final class BlobWindowChannel implements SeekableByteChannel {
  private final BlobSnapshot blob;
  private final long windowEnd;
  private final int maxFetch;
  private long position;
  private byte @Nullable [] buffer;
  private long bufferStart;
  private boolean open = true;

  BlobWindowChannel(BlobSnapshot blob, long windowEnd, int maxFetch) {
    this.blob = blob;
    this.windowEnd = Math.min(windowEnd, blob.size());
    this.maxFetch = maxFetch;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (!open) {
      throw new ClosedChannelException();
    }
    long size = blob.size();
    if (position >= size) {
      return -1;
    }
    if (!dst.hasRemaining()) {
      return 0;
    }
    byte[] from;
    long fromStart;
    byte[] head = blob.head();
    byte[] tail = blob.tail();
    if (position < head.length) {
      from = head;
      fromStart = 0;
    } else if (tail != null && position >= blob.lastSegmentStart()) {
      from = tail;
      fromStart = blob.lastSegmentStart();
    } else if (buffer != null && position >= bufferStart
        && position < bufferStart + buffer.length) {
      from = buffer;
      fromStart = bufferStart;
    } else {
      long want = Math.max(dst.remaining(), Math.min(windowEnd - position, maxFetch));
      want = Math.min(want, size - position);
      buffer = blob.fetch(position, (int) want);
      bufferStart = position;
      from = buffer;
      fromStart = bufferStart;
      if (from.length == 0) {
        return -1;
      }
    }
    int at = (int) (position - fromStart);
    int n = Math.min(dst.remaining(), from.length - at);
    dst.put(from, at, n);
    position += n;
    return n;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) {
    if (newPosition < 0) {
      throw new IllegalArgumentException("negative position");
    }
    position = newPosition;
    return this;
  }

  @Override
  public long size() {
    return blob.size();
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    open = false;
    buffer = null;
  }
}
