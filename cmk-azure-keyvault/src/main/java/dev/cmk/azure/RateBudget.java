package dev.cmk.azure;

import java.time.Duration;
import java.util.Objects;

/**
 * A client-side budget of Key Vault calls per vault: at most {@code operations} calls in any
 * sliding {@code window}. When the window is full a call waits for the next free slot (so a burst
 * of cache misses is spread out instead of tripping Key Vault's throttling); a call that would
 * have to wait longer than {@code maxWait} fails at once with a {@link
 * dev.cmk.api.KeyProviderUnavailableException} carrying the wait as {@code retryAfter}.
 *
 * <p>Key Vault's limits are per vault per 10 seconds: for RSA-2048 software keys 4,000
 * operations, RSA-3072 1,000, RSA-4096 250; HSM-protected keys about half of that. The {@linkplain
 * #defaultBudget() default} (1,000 per 10 s) stays below the limits of RSA-2048 and RSA-3072 keys,
 * software or HSM, leaving room for other clients of the vault; raise or lower it to your share of
 * the vault. Only calls this provider makes count (describe, unwrap); the SDK's own retries of a
 * call do not take extra permits.
 *
 * @param operations calls allowed per window, at least 1
 * @param window the window, positive (Key Vault measures 10 s)
 * @param maxWait the longest a call waits for a slot, not negative
 */
public record RateBudget(int operations, Duration window, Duration maxWait) {

  /** Key Vault's accounting window. */
  public static final Duration KEY_VAULT_WINDOW = Duration.ofSeconds(10);

  /** Validates. */
  public RateBudget {
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(maxWait, "maxWait");
    if (operations < 1) {
      throw new IllegalArgumentException("operations must be at least 1");
    }
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("window must be positive");
    }
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must not be negative");
    }
  }

  /**
   * {@code operations} calls per 10 seconds, waiting at most 5 seconds for a slot.
   *
   * @param operations calls per 10 s, at least 1
   * @return the budget
   */
  public static RateBudget perTenSeconds(int operations) {
    return new RateBudget(operations, KEY_VAULT_WINDOW, Duration.ofSeconds(5));
  }

  /** 1,000 calls per 10 seconds per vault, waiting at most 5 seconds for a slot. */
  public static RateBudget defaultBudget() {
    return perTenSeconds(1000);
  }

  /**
   * The same budget with another maximum wait.
   *
   * @param maxWait the longest a call waits for a slot, not negative
   * @return the new budget
   */
  public RateBudget withMaxWait(Duration maxWait) {
    return new RateBudget(operations, window, maxWait);
  }
}
