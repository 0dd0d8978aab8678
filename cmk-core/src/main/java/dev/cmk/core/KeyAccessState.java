package dev.cmk.core;

/**
 * State of the loss-of-access guard.
 *
 * <pre>
 *   AVAILABLE --(denied / persistent transient failure)--&gt; UNAVAILABLE
 *   UNAVAILABLE --(probe succeeds within the grace period)--&gt; AVAILABLE
 *   UNAVAILABLE --(grace period over)--&gt; REFRESH_REQUIRED
 *   any --(refresh() succeeds)--&gt; AVAILABLE
 * </pre>
 */
public enum KeyAccessState {
  /** The key is reachable and its enabled state was confirmed within the probe interval. */
  AVAILABLE,
  /**
   * Access was lost; operations fail fast; a probe re-checks access with backoff and the guard
   * recovers by itself if access returns within the grace period.
   */
  UNAVAILABLE,
  /** The grace period passed while unavailable: only {@code refresh()} reopens the guard. */
  REFRESH_REQUIRED
}
