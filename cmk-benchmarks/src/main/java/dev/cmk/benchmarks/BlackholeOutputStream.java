package dev.cmk.benchmarks;

import java.io.OutputStream;
import org.openjdk.jmh.infra.Blackhole;

/** A sink that keeps nothing: every write is handed to a JMH {@link Blackhole} and dropped. */
public final class BlackholeOutputStream extends OutputStream {
  private final Blackhole blackhole;
  private long written;

  /**
   * Drops into {@code blackhole}.
   *
   * @param blackhole JMH's blackhole of the benchmark method
   */
  public BlackholeOutputStream(Blackhole blackhole) {
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

  /** Bytes written so far. */
  public long written() {
    return written;
  }
}
