package dev.cmk.testkit.keyvault;

import java.time.Duration;
import java.util.Objects;

/**
 * Fault injection for one {@link LoopbackVault} ({@link LoopbackVault#faults()}): throttling,
 * server errors, latency and a service limit, applied to authenticated requests before they reach
 * the keys (counted in {@link LoopbackVault#requests()} like any other answer).
 *
 * <p><b>Thread safety:</b> safe for concurrent use, also while the vault serves requests.
 */
public final class LoopbackVaultFaults {
  private final VaultFaults faults;

  LoopbackVaultFaults(VaultFaults faults) {
    this.faults = faults;
  }

  /**
   * Answers the next {@code count} authenticated requests with 429 {@code Throttled} and {@code
   * Retry-After: 1}.
   *
   * @param count how many, not negative
   * @throws IllegalArgumentException if {@code count} is negative
   */
  public void throttleNext(int count) {
    throttleNext(count, Duration.ofSeconds(1));
  }

  /**
   * Answers the next {@code count} authenticated requests with 429 {@code Throttled}.
   *
   * @param count how many, not negative
   * @param retryAfter the {@code Retry-After} to send, whole seconds, at least one second
   * @throws IllegalArgumentException if {@code count} is negative or {@code retryAfter} under 1 s
   */
  public void throttleNext(int count, Duration retryAfter) {
    Objects.requireNonNull(retryAfter, "retryAfter");
    if (count < 0 || retryAfter.getSeconds() < 1) {
      throw new IllegalArgumentException("count must be >= 0 and retryAfter >= 1 s");
    }
    faults.throttleNext(count, retryAfter.getSeconds());
  }

  /**
   * Answers the next {@code count} authenticated requests with a server error.
   *
   * @param count how many, not negative
   * @param status 500-599 (503 answers {@code ServiceUnavailable})
   * @throws IllegalArgumentException if {@code count} is negative or {@code status} not 5xx
   */
  public void failNext(int count, int status) {
    if (count < 0 || status < 500 || status > 599) {
      throw new IllegalArgumentException("count must be >= 0 and status 500-599");
    }
    faults.failNext(count, status);
  }

  /**
   * Delays every answer (including challenges) by {@code latency}.
   *
   * @param latency the delay, not negative
   * @throws IllegalArgumentException if {@code latency} is negative
   */
  public void setLatency(Duration latency) {
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative");
    }
    faults.setLatency(latency);
  }

  /**
   * Enforces a service limit like Key Vault's per-vault transaction limits: authenticated
   * requests beyond {@code requests} in any sliding {@code window} get 429 {@code Throttled} with
   * a {@code Retry-After} until the window frees up. Measured in real time.
   *
   * @param requests requests allowed per window, at least 1
   * @param window the window, e.g. 10 s as in Key Vault
   * @throws IllegalArgumentException if {@code requests} is under 1 or {@code window} not positive
   */
  public void setRequestLimit(int requests, Duration window) {
    Objects.requireNonNull(window, "window");
    if (requests < 1 || window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("requests must be >= 1 and window positive");
    }
    faults.setRequestLimit(requests, window);
  }

  /** Removes every injected fault, latency and request limit. */
  public void clear() {
    faults.clearFaults();
  }

  @Override
  public String toString() {
    return "LoopbackVaultFaults";
  }
}
