package dev.cmk.core.internal;

import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.core.KekOperation;
import dev.cmk.core.KekOutcome;
import dev.cmk.core.KeyAccessSettings;
import dev.cmk.core.Sleeper;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Calls a key provider with the guard's retry rule: a transient failure ({@link
 * KeyProviderUnavailableException}) is retried up to {@link KeyAccessSettings#maxRetries()} times
 * with doubling delays, waiting for the provider's {@code Retry-After} when it gives one; a wait
 * longer than {@link KeyAccessSettings#retryMaxDelay()} is not made inside the call (the failure
 * goes to the guard, which caps its own backoff). Authoritative failures are never retried.
 * Every call to a provider in cmk-core goes through here, named by provider id and {@link
 * KekOperation}, so that an application's {@link dev.cmk.core.CryptoObserver} sees each attempt
 * with its outcome and latency; without an observer nothing is measured.
 *
 * <p>Thread-safe (stateless apart from its settings).
 */
public final class ProviderCalls {
  private final KeyAccessSettings settings;
  private final Sleeper sleeper;
  private final SafeObserver observer; // null: not observed

  public ProviderCalls(KeyAccessSettings settings, Sleeper sleeper, SafeObserver observer) {
    this.settings = settings;
    this.sleeper = sleeper;
    this.observer = observer;
  }

  /**
   * Runs {@code call} (an {@code operation} of provider {@code providerId}), retrying transient
   * failures; the last failure propagates.
   */
  public <T> T call(String providerId, KekOperation operation, Supplier<T> call) {
    Duration delay = settings.retryBaseDelay();
    for (int attempt = 0; ; attempt++) {
      try {
        return once(providerId, operation, call);
      } catch (KeyProviderUnavailableException e) {
        Duration wait = e.retryAfter().orElse(delay);
        if (attempt >= settings.maxRetries() || wait.compareTo(settings.retryMaxDelay()) > 0) {
          throw e;
        }
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
        delay = min(delay.multipliedBy(2), settings.retryMaxDelay());
      }
    }
  }

  /** Runs {@code call} once, without retries (observed like every attempt of {@link #call}). */
  public <T> T once(String providerId, KekOperation operation, Supplier<T> call) {
    if (observer == null) {
      return call.get();
    }
    long start = System.nanoTime();
    T result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      observer.kekCall(providerId, operation, KekOutcome.of(e), System.nanoTime() - start);
      throw e;
    }
    observer.kekCall(providerId, operation, KekOutcome.SUCCESS, System.nanoTime() - start);
    return result;
  }

  /**
   * How long to wait before the next probe after {@code e}: the provider's {@code Retry-After}
   * when it gives one, else {@code fallback}, never more than {@link
   * KeyAccessSettings#probeBackoffMax()} — so a throttling answer cannot postpone the checks that
   * bound revocation.
   */
  public Duration nextProbeDelay(RuntimeException e, Duration fallback) {
    Duration wait = e instanceof KeyProviderUnavailableException
        ? ((KeyProviderUnavailableException) e).retryAfter().orElse(fallback)
        : fallback;
    return min(wait, settings.probeBackoffMax());
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
