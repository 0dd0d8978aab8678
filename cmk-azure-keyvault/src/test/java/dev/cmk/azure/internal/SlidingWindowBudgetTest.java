package dev.cmk.azure.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class SlidingWindowBudgetTest {

  /** Virtual time: sleeping advances it, so permits' start times are exact. */
  static final class VirtualTime implements SlidingWindowBudget.Ticker, SlidingWindowBudget.Sleeper {
    long now;
    final List<Long> sleeps = new ArrayList<>();

    @Override
    public long nanos() {
      return now;
    }

    @Override
    public void sleepNanos(long nanos) {
      sleeps.add(nanos);
      now += nanos;
    }
  }

  private static final long SECOND = 1_000_000_000L;

  @Test
  void acquire_withinBudget_doesNotWait() throws Exception {
    VirtualTime t = new VirtualTime();
    SlidingWindowBudget b = new SlidingWindowBudget(3, Duration.ofSeconds(10), Duration.ofSeconds(10), t, t);
    b.acquire();
    b.acquire();
    b.acquire();
    assertEquals(List.of(), t.sleeps);
  }

  @Test
  void acquire_windowFull_waitsUntilOldestPermitLeavesWindow() throws Exception {
    VirtualTime t = new VirtualTime();
    SlidingWindowBudget b = new SlidingWindowBudget(2, Duration.ofSeconds(10), Duration.ofSeconds(30), t, t);
    b.acquire();
    t.now = 4 * SECOND;
    b.acquire();
    t.now = 5 * SECOND;
    b.acquire();
    assertEquals(List.of(5 * SECOND), t.sleeps, "the first permit (t=0) leaves the window at t=10");
    b.acquire();
    assertEquals(14 * SECOND, t.now, "then the second (t=4) at t=14");
  }

  @Test
  void acquire_waitLongerThanMaxWait_throwsWithoutSpendingASlot() throws Exception {
    VirtualTime t = new VirtualTime();
    SlidingWindowBudget b = new SlidingWindowBudget(1, Duration.ofSeconds(10), Duration.ofSeconds(2), t, t);
    b.acquire();
    t.now = 3 * SECOND;
    SlidingWindowBudget.ExhaustedException e = assertThrows(SlidingWindowBudget.ExhaustedException.class, b::acquire);
    assertEquals(Duration.ofSeconds(7), e.waitTime());
    t.now = 8 * SECOND;
    b.acquire();
    assertEquals(List.of(2 * SECOND), t.sleeps, "the refused call did not push later callers back");
  }

  @Test
  void constructor_invalidSettings_areRejected() {
    assertThrows(IllegalArgumentException.class, () -> new SlidingWindowBudget(0, Duration.ofSeconds(1), Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new SlidingWindowBudget(1, Duration.ZERO, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new SlidingWindowBudget(1, Duration.ofSeconds(1), Duration.ofSeconds(-1)));
  }

  /** Whatever the arrival pattern, no window ever holds more permits than the budget. */
  @Property(tries = 200)
  void acquire_anyArrivals_neverExceedsBudgetInAnyWindow(
      @ForAll @IntRange(min = 1, max = 8) int operations,
      @ForAll @Size(min = 1, max = 60) List<@IntRange(min = 0, max = 3000) Integer> gapsMillis)
      throws Exception {
    VirtualTime t = new VirtualTime();
    long window = SECOND;
    SlidingWindowBudget b =
        new SlidingWindowBudget(operations, Duration.ofNanos(window), Duration.ofSeconds(1000), t, t);
    List<Long> starts = new ArrayList<>();
    for (int gap : gapsMillis) {
      t.now += gap * 1_000_000L;
      b.acquire();
      starts.add(t.now);
    }
    for (int i = 0; i + operations < starts.size(); i++) {
      assertTrue(
          starts.get(i + operations) - starts.get(i) >= window,
          "permit " + (i + operations) + " started within one window of permit " + i);
    }
  }
}
