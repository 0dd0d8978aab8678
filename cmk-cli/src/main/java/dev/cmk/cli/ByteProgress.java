package dev.cmk.cli;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Locale;

/**
 * Byte progress of a long operation on stderr: bytes done (of the total, when known), rate and
 * ETA, redrawn in place ({@code \r}) at most every {@value #REDRAW_MILLIS} ms. Quick operations
 * stay silent: nothing is drawn before {@value #FIRST_DRAW_MILLIS} ms have passed. Disabled (stderr
 * not a terminal, or {@code --no-progress}) it prints nothing at all.
 *
 * <p><b>Security:</b> shows only counts, sizes, durations and the caller's status text (file
 * counts); never data, names of secrets or key material.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (rewrap may read several files at once).
 */
final class ByteProgress {
  /** Nothing is drawn before this much time has passed. */
  static final long FIRST_DRAW_MILLIS = 500;
  /** Redraws at most this often. */
  static final long REDRAW_MILLIS = 200;

  private final PrintStream err;
  private final boolean enabled;
  private final Clock clock;
  private final String label;
  private final long total;
  private final long start;
  private long bytes;
  private long lastDraw = -1;
  private String status = "";

  /**
   * @param err where to draw
   * @param enabled whether to draw at all
   * @param clock time source for rate and ETA
   * @param label what is running, e.g. {@code encrypt}
   * @param total bytes expected, or a negative number when unknown (stdin)
   */
  ByteProgress(PrintStream err, boolean enabled, Clock clock, String label, long total) {
    this.err = err;
    this.enabled = enabled;
    this.clock = clock;
    this.label = label;
    this.total = total;
    this.start = clock.millis();
  }

  /** {@code stream}, counting every byte read from it into this progress. */
  InputStream counting(InputStream stream) {
    if (!enabled) {
      return stream;
    }
    return new FilterInputStream(stream) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          add(1);
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
          add(n);
        }
        return n;
      }

      @Override
      public long skip(long n) throws IOException {
        long s = super.skip(n);
        if (s > 0) {
          add(s);
        }
        return s;
      }
    };
  }

  /** Counts {@code n} more bytes. */
  synchronized void add(long n) {
    bytes += n;
    maybeDraw();
  }

  /** Sets the status text shown after the numbers (e.g. {@code 3/10 files}). */
  synchronized void status(String text) {
    status = text;
    maybeDraw();
  }

  /** Draws the final state (if anything was drawn) and ends the line. */
  synchronized void finish() {
    if (enabled && lastDraw >= 0) {
      draw(clock.millis());
      err.println();
      err.flush();
    }
  }

  private void maybeDraw() {
    if (!enabled) {
      return;
    }
    long now = clock.millis();
    if (now - start < FIRST_DRAW_MILLIS || (lastDraw >= 0 && now - lastDraw < REDRAW_MILLIS)) {
      return;
    }
    draw(now);
  }

  private void draw(long now) {
    lastDraw = now;
    double seconds = Math.max(now - start, 1) / 1000.0;
    double rate = bytes / seconds;
    StringBuilder sb = new StringBuilder("\r").append(label).append("  ").append(size(bytes));
    if (total >= 0) {
      sb.append(" / ").append(size(total));
      sb.append(String.format(Locale.ROOT, "  %3d%%", total == 0 ? 100 : (int) Math.min(100, bytes * 100 / total)));
    }
    sb.append("  ").append(size((long) rate)).append("/s");
    if (total >= 0) {
      long left = Math.max(total - bytes, 0);
      sb.append("  ETA ").append(rate > 0 ? duration((long) Math.ceil(left / rate)) : "--:--");
    }
    if (!status.isEmpty()) {
      sb.append("  ").append(status);
    }
    sb.append("\u001b[K");
    err.print(sb);
    err.flush();
  }

  /** {@code 512 B}, {@code 12.3 KiB}, {@code 4.0 MiB}, {@code 1.5 GiB}. */
  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** {@code m:ss}, or {@code h:mm:ss} from one hour. */
  static String duration(long seconds) {
    long h = seconds / 3600;
    long m = (seconds % 3600) / 60;
    long s = seconds % 60;
    return h > 0
        ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
        : String.format(Locale.ROOT, "%d:%02d", m, s);
  }
}
