package dev.cmk.cli;

import java.io.PrintStream;
import java.time.Clock;
import java.util.Locale;

/**
 * Progress of a walk over items (data-key records) on stderr: done of total, rate and ETA, with
 * the timing rules of {@link ByteProgress} (silent for quick runs, redrawn in place at most every
 * {@value ByteProgress#REDRAW_MILLIS} ms; nothing at all when disabled). Shows counts only.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
final class ItemProgress {
  private final PrintStream err;
  private final boolean enabled;
  private final Clock clock;
  private final String label;
  private final String unit;
  private final long total;
  private final long start;
  private long lastDraw = -1;
  private long done;

  /**
   * @param err where to draw
   * @param enabled whether to draw at all
   * @param clock time source
   * @param label what is running, e.g. {@code records rewrap}
   * @param unit what is counted, plural, e.g. {@code records}
   * @param total items expected (a walk may find a few more written meanwhile)
   */
  ItemProgress(PrintStream err, boolean enabled, Clock clock, String label, String unit,
      long total) {
    this.err = err;
    this.enabled = enabled;
    this.clock = clock;
    this.label = label;
    this.unit = unit;
    this.total = total;
    this.start = clock.millis();
  }

  /** Sets the count of items done. */
  synchronized void done(long count) {
    done = count;
    if (!enabled) {
      return;
    }
    long now = clock.millis();
    if (now - start < ByteProgress.FIRST_DRAW_MILLIS
        || (lastDraw >= 0 && now - lastDraw < ByteProgress.REDRAW_MILLIS)) {
      return;
    }
    draw(now);
  }

  /** Draws the final state (if anything was drawn) and ends the line. */
  synchronized void finish() {
    if (enabled && lastDraw >= 0) {
      draw(clock.millis());
      err.println();
      err.flush();
    }
  }

  private void draw(long now) {
    lastDraw = now;
    double rate = done / (Math.max(now - start, 1) / 1000.0);
    long shownTotal = Math.max(total, done);
    StringBuilder sb = new StringBuilder("\r").append(label).append("  ").append(done)
        .append('/').append(shownTotal).append(' ').append(unit)
        .append(String.format(Locale.ROOT, "  %.1f/s", rate))
        .append("  ETA ").append(rate > 0
            ? ByteProgress.duration((long) Math.ceil((shownTotal - done) / rate)) : "--:--")
        .append("\u001b[K");
    err.print(sb);
    err.flush();
  }
}
