package dev.cmk.examples.dicom;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * An {@link OutputStream} onto a {@link FileChannel} that the caller keeps owning: {@link #close()}
 * does not close the channel (so the caller can {@code force} it after the envelope is sealed).
 * After {@link #abandon()} writes are dropped, so that closing an encrypting stream over a failed
 * upload (which wipes its plaintext buffers) cannot turn the partial file into a complete envelope.
 *
 * <p>Writes go to the JDK's {@link Channels#newOutputStream} over the channel (which writes each
 * buffer completely), after {@code abandon()} to {@link OutputStream#nullOutputStream()}; both
 * check the array bounds. Not thread-safe.
 */
final class ChannelSink extends OutputStream {
  private OutputStream target;

  ChannelSink(FileChannel channel) {
    this.target = Channels.newOutputStream(Objects.requireNonNull(channel, "channel"));
  }

  @Override
  public void write(int b) throws IOException {
    target.write(b);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    target.write(b, off, len);
  }

  /** Drops every later write. */
  void abandon() {
    target = OutputStream.nullOutputStream();
  }

  /** Does nothing: the channel belongs to the caller (the stream over it is never closed). */
  @Override
  public void close() {}
}
