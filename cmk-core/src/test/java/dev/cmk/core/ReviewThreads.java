package dev.cmk.core;

import java.util.concurrent.atomic.AtomicReference;

/** Threads for the review tests that look for deadlocks: started as daemons, and their stacks. */
final class ReviewThreads {
  private ReviewThreads() {}

  /**
   * A daemon thread (not started) named {@code review-<name>} that runs {@code body} and keeps
   * what it throws in {@code outcome}, so a deadlocked thread never keeps the JVM alive.
   */
  static Thread daemon(String name, Runnable body, AtomicReference<Throwable> outcome) {
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        outcome.set(e);
      }
    }, "review-" + name);
    t.setDaemon(true);
    return t;
  }

  /** {@return the thread's stack, one {@code "  at "} line a frame, for a failure message} */
  static String trace(Thread t) {
    StringBuilder sb = new StringBuilder();
    for (StackTraceElement e : t.getStackTrace()) {
      sb.append("  at ").append(e).append('\n');
    }
    return sb.toString();
  }
}
