package dev.cmk.core;

import java.time.Duration;

/**
 * Waits between retries. Injectable so that tests driven by a manual clock can advance that clock
 * instead of sleeping.
 */
@FunctionalInterface
public interface Sleeper {
  /**
   * Waits for {@code duration}.
   *
   * @param duration how long
   * @throws InterruptedException if interrupted
   */
  void sleep(Duration duration) throws InterruptedException;

  /** {@return a sleeper that sleeps the calling thread} */
  static Sleeper system() {
    return d -> Thread.sleep(d.toMillis());
  }
}
