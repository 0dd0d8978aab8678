package dev.cmk.core.fuzz;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A read-only {@link SeekableByteChannel} over a byte array, optionally claiming a larger size
 * than it holds (reads past the held bytes see end of stream), to play a file whose length field
 * lies. Counts the bytes it hands out. Public for the soak test's range reads.
 */
public final class MemoryChannel implements SeekableByteChannel {
  private final byte[] data;
  private final long claimedSize;
  private long position;
  private long bytesRead;
  private boolean open = true;

  public MemoryChannel(byte[] data) {
    this(data, data.length);
  }

  public MemoryChannel(byte[] data, long claimedSize) {
    this.data = data;
    this.claimedSize = claimedSize;
  }

  @Override
  public synchronized int read(ByteBuffer dst) throws ClosedChannelException {
    ensureOpen();
    if (position >= data.length) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), data.length - position);
    dst.put(data, (int) position, n);
    position += n;
    bytesRead += n;
    return n;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public synchronized long position() throws ClosedChannelException {
    ensureOpen();
    return position;
  }

  @Override
  public synchronized SeekableByteChannel position(long newPosition)
      throws ClosedChannelException {
    ensureOpen();
    if (newPosition < 0) {
      throw new IllegalArgumentException("newPosition must not be negative");
    }
    position = newPosition;
    return this;
  }

  @Override
  public long size() throws ClosedChannelException {
    ensureOpen();
    return claimedSize;
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new NonWritableChannelException();
  }

  @Override
  public synchronized boolean isOpen() {
    return open;
  }

  @Override
  public synchronized void close() {
    open = false;
  }

  synchronized long bytesRead() {
    return bytesRead;
  }

  private void ensureOpen() throws ClosedChannelException {
    if (!open) {
      throw new ClosedChannelException();
    }
  }
}
