package dev.cmk.cli;

import java.io.PrintStream;

/**
 * A one-line progress bar redrawn in place on a terminal ({@code \r}), at most every 100 ms. Does
 * nothing when disabled (stderr is not a terminal).
 */
final class ProgressBar {
  private static final int WIDTH = 30;
  private static final long MIN_REDRAW_NANOS = 100_000_000L;

  private final PrintStream err;
  private final boolean enabled;
  private final long total;
  private long lastDraw;
  private boolean drawn;

  ProgressBar(PrintStream err, boolean enabled, long total) {
    this.err = err;
    this.enabled = enabled && total > 0;
    this.total = total;
  }

  /** Shows {@code done} of the total, with a short status text. */
  void update(long done, String status) {
    if (!enabled) {
      return;
    }
    long now = System.nanoTime();
    if (drawn && done < total && now - lastDraw < MIN_REDRAW_NANOS) {
      return;
    }
    lastDraw = now;
    drawn = true;
    int filled = (int) (WIDTH * done / total);
    StringBuilder sb = new StringBuilder("\r[");
    sb.append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("] ");
    sb.append(done).append('/').append(total).append(' ').append(status).append("\u001b[K");
    err.print(sb);
    err.flush();
  }

  /** Ends the bar's line. */
  void finish() {
    if (enabled && drawn) {
      err.println();
    }
  }
}
