package dev.cmk.testkit;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Test controls of a key provider: call counters, simulated latency and injected failures.
 * Implemented by {@link FaultInjectingProvider}, which adds them to any provider (an {@link
 * InMemoryKeyProvider}, a Key Vault, a SoftHSM token).
 *
 * <p>Each call of an {@link Operation} goes through these steps, in order, before the provider does
 * its real work:
 *
 * <ol>
 *   <li>the operation's counter is incremented (every call counts, also those that then fail;
 *       calls rejected for a programming error such as a null or versionless reference do not);
 *   <li>the thread sleeps for the configured {@linkplain #setLatency latency};
 *   <li>if a {@linkplain #failNext scripted failure} is pending for the operation, it is consumed
 *       and thrown;
 *   <li>if the {@linkplain #denyIdentity identity is denied}, a {@link
 *       dev.cmk.api.KeyAccessDeniedException} with reason {@code IDENTITY_NOT_AUTHORIZED} is
 *       thrown;
 *   <li>if a {@linkplain #setFault persistent fault} is set for the operation, it is thrown.
 * </ol>
 *
 * <p><b>Thread safety:</b> all methods may be called concurrently with each other and with the
 * provider's operations; a scripted failure is consumed by exactly one call.
 */
public interface FaultControls {

  /**
   * Makes the next {@code times} calls of {@code operation} fail with {@code fault}. Scripted
   * failures queue up: a second call adds its failures after those still pending.
   *
   * @param operation the operation to fail
   * @param times how many calls fail, at least 1
   * @param fault the failure
   * @throws NullPointerException if {@code operation} or {@code fault} is null
   * @throws IllegalArgumentException if {@code times} is less than 1
   */
  void failNext(Operation operation, int times, Fault fault);

  /**
   * Makes the next {@code times} calls of {@code operation} throw what {@code failure} supplies
   * (called once per failing call). Same as {@code failNext(operation, times,
   * Fault.throwing(failure))}.
   *
   * @param operation the operation to fail
   * @param times how many calls fail, at least 1
   * @param failure supplies the exception, must not return null
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code times} is less than 1
   */
  default void failNext(
      Operation operation, int times, Supplier<? extends RuntimeException> failure) {
    failNext(operation, times, Fault.throwing(failure));
  }

  /**
   * Makes every call of {@code operation} fail with {@code fault} until {@link #clearFault} or
   * {@link #clearFaults} (replaces a fault set before).
   *
   * @param operation the operation to fail
   * @param fault the failure
   * @throws NullPointerException if an argument is null
   */
  void setFault(Operation operation, Fault fault);

  /**
   * Removes the persistent fault of {@code operation}, if any. Scripted failures stay pending.
   *
   * @param operation the operation
   * @throws NullPointerException if {@code operation} is null
   */
  void clearFault(Operation operation);

  /**
   * Removes every persistent fault and every pending scripted failure, and lifts an identity
   * denial. Leaves latency and counters alone.
   */
  void clearFaults();

  /**
   * Simulates the provider's identity losing (or regaining) its permission on the keys: while
   * denied, every operation throws {@link dev.cmk.api.KeyAccessDeniedException} with reason
   * {@code IDENTITY_NOT_AUTHORIZED}.
   *
   * @param denied whether access is denied
   */
  void denyIdentity(boolean denied);

  /** Whether the identity is currently {@linkplain #denyIdentity denied}. */
  boolean identityDenied();

  /**
   * Sets how long every operation sleeps before doing anything else (simulated network latency).
   * If the sleeping thread is interrupted, the call fails with {@link
   * dev.cmk.api.KeyProviderUnavailableException} and the interrupt flag is restored.
   *
   * @param latency the delay per call, zero for none
   * @throws NullPointerException if {@code latency} is null
   * @throws IllegalArgumentException if {@code latency} is negative
   */
  void setLatency(Duration latency);

  /** The current per-call latency (zero when none). */
  Duration latency();

  /**
   * How many calls of {@code operation} were made since creation or the last {@link
   * #resetCounters}, failed ones included.
   *
   * @param operation the operation
   * @return the count
   * @throws NullPointerException if {@code operation} is null
   */
  long count(Operation operation);

  /** Calls of {@code describe} and {@code resolveLatest}; see {@link #count}. */
  default long describeCount() {
    return count(Operation.DESCRIBE);
  }

  /** Calls of {@code wrap}; see {@link #count}. */
  default long wrapCount() {
    return count(Operation.WRAP);
  }

  /** Calls of {@code unwrap}; see {@link #count}. */
  default long unwrapCount() {
    return count(Operation.UNWRAP);
  }

  /** Calls of {@code publicKey}; see {@link #count}. */
  default long publicKeyCount() {
    return count(Operation.PUBLIC_KEY);
  }

  /** Sets every counter back to zero. */
  void resetCounters();
}
