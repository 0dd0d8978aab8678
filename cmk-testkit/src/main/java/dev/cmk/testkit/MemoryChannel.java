package dev.cmk.testkit;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A read-only {@link SeekableByteChannel} over bytes held in memory: a stored object for range
 * reads without a disk, or (with {@link #claimingSize}) a file whose length field lies, claiming a
 * larger size than it holds (reads past the held bytes see end of stream). Counts the bytes it
 * hands out. Writing or truncating throws {@link NonWritableChannelException}; every operation but
 * {@code isOpen} and {@code close} throws {@link ClosedChannelException} once closed.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (one position, as the interface has it).
 */
public final class MemoryChannel implements SeekableByteChannel {
  private final byte[] data;
  private final int length;
  private final long claimedSize;
  private long position;
  private long bytesRead;
  private boolean open = true;

  private MemoryChannel(byte[] data, int length, long claimedSize) {
    if (length < 0 || length > data.length) {
      throw new IllegalArgumentException("length must be within the array: " + length);
    }
    if (claimedSize < length) {
      throw new IllegalArgumentException("claimedSize must not be below the length held");
    }
    this.data = data;
    this.length = length;
    this.claimedSize = claimedSize;
  }

  /**
   * A channel over all of {@code data} (not copied).
   *
   * @param data the bytes
   * @return the channel, at position 0
   */
  public static MemoryChannel of(byte[] data) {
    return new MemoryChannel(data, data.length, data.length);
  }

  /**
   * A channel over the first {@code length} bytes of {@code data} (not copied), e.g. the filled part
   * of a reused buffer.
   *
   * @param data the buffer
   * @param length how many of its bytes the channel holds
   * @return the channel, at position 0
   * @throws IllegalArgumentException if {@code length} is negative or beyond the array
   */
  public static MemoryChannel of(byte[] data, int length) {
    return new MemoryChannel(data, length, length);
  }

  /**
   * A channel holding {@code data} (not copied) but reporting {@code claimedSize} as its size.
   *
   * @param data the bytes held
   * @param claimedSize the size reported, not below {@code data.length}
   * @return the channel, at position 0
   * @throws IllegalArgumentException if {@code claimedSize} is below {@code data.length}
   */
  public static MemoryChannel claimingSize(byte[] data, long claimedSize) {
    return new MemoryChannel(data, data.length, claimedSize);
  }

  @Override
  public synchronized int read(ByteBuffer dst) throws ClosedChannelException {
    ensureOpen();
    if (position >= length) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), length - position);
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

  /**
   * How many bytes reads have handed out so far.
   *
   * @return the count
   */
  public synchronized long bytesRead() {
    return bytesRead;
  }

  private void ensureOpen() throws ClosedChannelException {
    if (!open) {
      throw new ClosedChannelException();
    }
  }
}
