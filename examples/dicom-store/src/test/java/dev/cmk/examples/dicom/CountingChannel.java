package dev.cmk.examples.dicom;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.concurrent.atomic.AtomicLong;

/** Counts the bytes read through a channel (the envelope bytes a request made the store read). */
final class CountingChannel implements SeekableByteChannel {
  private final SeekableByteChannel delegate;
  private final AtomicLong read;

  CountingChannel(SeekableByteChannel delegate, AtomicLong read) {
    this.delegate = delegate;
    this.read = read;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    int n = delegate.read(dst);
    if (n > 0) {
      read.addAndGet(n);
    }
    return n;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return delegate.write(src);
  }

  @Override
  public long position() throws IOException {
    return delegate.position();
  }

  @Override
  public SeekableByteChannel position(long p) throws IOException {
    delegate.position(p);
    return this;
  }

  @Override
  public long size() throws IOException {
    return delegate.size();
  }

  @Override
  public SeekableByteChannel truncate(long size) throws IOException {
    delegate.truncate(size);
    return this;
  }

  @Override
  public boolean isOpen() {
    return delegate.isOpen();
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
