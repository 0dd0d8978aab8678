package dev.cmk.azure.internal;

import dev.cmk.azure.RateBudget;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * A client-side rate budget: at most {@code operations} permits in any sliding window of {@code
 * window}. A caller that finds the window full reserves the earliest free slot and sleeps until
 * then, so a burst is spread out instead of being sent at once; a caller that would have to wait
 * longer than {@code maxWait} is refused without reserving anything.
 *
 * <p>Implementation: the start times of the last {@code operations} permits are kept in a ring;
 * the next permit may start once the oldest of them is {@code window} old. Times are monotonic
 * ({@link System#nanoTime()} by default), never wall-clock.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; reservations are made under a lock, sleeping
 * happens outside it.
 */
public final class SlidingWindowBudget {

  /** A monotonic time source in nanoseconds. */
  public interface Ticker {
    /** The current time in nanoseconds. */
    long nanos();
  }

  /** Sleeps the calling thread. */
  public interface Sleeper {
    /**
     * Sleeps.
     *
     * @param nanos how long
     * @throws InterruptedException if interrupted
     */
    void sleepNanos(long nanos) throws InterruptedException;
  }

  /** The window was full for longer than the allowed wait. */
  public static final class ExhaustedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final long waitNanos;

    ExhaustedException(long waitNanos) {
      super("rate budget exhausted", null, false, false);
      this.waitNanos = waitNanos;
    }

    /** How long the caller would have had to wait. */
    public Duration waitTime() {
      return Duration.ofNanos(waitNanos);
    }
  }

  private final long[] starts;
  private int next;
  private final long windowNanos;
  private final long maxWaitNanos;
  private final Ticker ticker;
  private final Sleeper sleeper;

  /**
   * A budget on the system's monotonic clock.
   *
   * @param operations permits per window, at least 1
   * @param window the window, positive
   * @param maxWait the longest a caller may wait, not negative
   */
  public SlidingWindowBudget(int operations, Duration window, Duration maxWait) {
    this(
        operations,
        window,
        maxWait,
        System::nanoTime,
        nanos -> Thread.sleep(nanos / 1_000_000L, (int) (nanos % 1_000_000L)));
  }

  SlidingWindowBudget(
      int operations, Duration window, Duration maxWait, Ticker ticker, Sleeper sleeper) {
    // The public record holds the one copy of the rules (operations >= 1, positive window,
    // maxWait not negative), so the budget and its settings cannot disagree on what is valid.
    RateBudget budget = new RateBudget(operations, window, maxWait);
    this.starts = new long[budget.operations()];
    this.windowNanos = budget.window().toNanos();
    this.maxWaitNanos = budget.maxWait().toNanos();
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    Arrays.fill(starts, Long.MIN_VALUE);
  }

  /**
   * Takes a permit, waiting for it when the window is full.
   *
   * @return how long it waited, in nanoseconds (0 when a slot was free)
   * @throws ExhaustedException if the permit would start more than {@code maxWait} from now
   * @throws InterruptedException if interrupted while waiting (the permit is then spent)
   */
  public long acquire() throws ExhaustedException, InterruptedException {
    long wait;
    synchronized (this) {
      long now = ticker.nanos();
      long oldest = starts[next];
      long start = oldest == Long.MIN_VALUE ? now : Math.max(now, oldest + windowNanos);
      wait = start - now;
      if (wait > maxWaitNanos) {
        throw new ExhaustedException(wait);
      }
      starts[next] = start;
      next = (next + 1) % starts.length;
    }
    if (wait > 0) {
      sleeper.sleepNanos(wait);
    }
    return Math.max(wait, 0);
  }
}
