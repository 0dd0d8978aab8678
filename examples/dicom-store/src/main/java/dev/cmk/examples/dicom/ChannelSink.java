package dev.cmk.examples.dicom;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * An {@link OutputStream} onto a {@link FileChannel} that the caller keeps owning: {@link #close()}
 * does not close the channel (so the caller can {@code force} it after the envelope is sealed).
 * After {@link #abandon()} writes are dropped, so that closing an encrypting stream over a failed
 * upload (which wipes its plaintext buffers) cannot turn the partial file into a complete envelope.
 *
 * <p>Not thread-safe.
 */
final class ChannelSink extends OutputStream {
  private final FileChannel channel;
  private boolean abandoned;

  ChannelSink(FileChannel channel) {
    this.channel = Objects.requireNonNull(channel, "channel");
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (abandoned) {
      return;
    }
    ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** Drops every later write. */
  void abandon() {
    abandoned = true;
  }

  /** Does nothing: the channel belongs to the caller. */
  @Override
  public void close() {}
}
