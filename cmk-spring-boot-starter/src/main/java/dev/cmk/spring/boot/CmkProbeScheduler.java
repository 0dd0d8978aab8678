package dev.cmk.spring.boot;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one daemon thread ({@code cmk-key-probe}) on which the starter runs the guard's background
 * probe. It is a bean of its own type, not a {@link ScheduledExecutorService} bean, so that
 * Spring's {@code @Scheduled} support never mistakes it for the application's scheduler. The
 * {@link dev.cmk.core.EnvelopeCrypto} bean depends on it and is therefore closed first; {@link
 * #close()} then stops the thread.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
public final class CmkProbeScheduler implements AutoCloseable {
  private final ScheduledThreadPoolExecutor executor;

  CmkProbeScheduler() {
    executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "cmk-key-probe");
      t.setDaemon(true);
      return t;
    });
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /** {@return the executor, for {@link dev.cmk.core.EnvelopeCryptoBuilder#backgroundProbe}} */
  ScheduledExecutorService executor() {
    return executor;
  }

  /** {@return whether {@link #close()} has stopped the scheduler} */
  public boolean isShutdown() {
    return executor.isShutdown();
  }

  /** Stops the scheduler, waiting up to five seconds for a running probe to finish. */
  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "CmkProbeScheduler[" + (executor.isShutdown() ? "stopped" : "running") + "]";
  }
}
