package dev.cmk.benchmarks.peers;

import java.io.OutputStream;
import org.openjdk.jmh.infra.Blackhole;

/** An output stream that hands every write to a JMH {@link Blackhole} and counts the bytes. */
final class NullSink extends OutputStream {
  private final Blackhole blackhole;
  private long written;

  NullSink(Blackhole blackhole) {
    this.blackhole = blackhole;
  }

  @Override
  public void write(int b) {
    blackhole.consume(b);
    written++;
  }

  @Override
  public void write(byte[] b, int off, int len) {
    blackhole.consume(b);
    written += len;
  }

  long written() {
    return written;
  }
}
