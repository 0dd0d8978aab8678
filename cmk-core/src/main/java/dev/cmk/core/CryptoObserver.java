package dev.cmk.core;

import dev.cmk.api.spi.RateBudgetObserver;

/**
 * Receives counts and timings from an {@link EnvelopeCrypto}, for metrics: every call to a
 * key-encryption-key provider (provider id, operation, outcome, latency), the decrypt-side
 * data-key cache's hits and misses, and the outcome of every item of {@link
 * EnvelopeCrypto#rewrapAll}. Set one with {@link EnvelopeCryptoBuilder#observer}; the default is
 * {@link #noop()}, for which nothing at all is measured (the cache keeps no statistics and no
 * clock is read). State that can be read when wanted is not pushed here: the cache's size from
 * {@link EnvelopeCrypto#diagnostics()}, the guard's state and grace time from {@link
 * KeyAccessGuard#status()}, its transitions from {@link KeyAccessListener}. {@code
 * cmk-micrometer} implements this interface with Micrometer meters.
 *
 * <p>Rate-budget waits and refusals ({@link RateBudgetObserver}) happen inside a provider: give
 * the same observer to a provider that has a rate budget (on its builder) to have them reported.
 *
 * <p><b>Security guarantees:</b> only provider ids, enum values, counts and durations are
 * passed; never key material, data, associated data or key references.
 *
 * <p><b>Thread safety:</b> methods are called concurrently from every thread that uses the
 * instance, and from its background probe, sometimes while the loss-of-access guard holds its
 * lock: implementations must be safe for concurrent use, quick and non-blocking, and must not
 * call back into the {@link EnvelopeCrypto} from these methods. An exception they throw is
 * caught and ignored. Every method defaults to doing nothing.
 */
public interface CryptoObserver extends RateBudgetObserver {

  /**
   * The observer that observes nothing: the default of {@link EnvelopeCryptoBuilder#observer}.
   *
   * @return the no-op observer (one shared instance)
   */
  static CryptoObserver noop() {
    return NoopObserver.INSTANCE;
  }

  /**
   * Called once, by {@link EnvelopeCryptoBuilder#build()}, with the instance this observer was
   * set on, before {@code build()} returns it; for observers that register gauges reading
   * {@link EnvelopeCrypto#diagnostics()} or {@link KeyAccessGuard#status()}. Unlike the other
   * methods, an exception thrown here fails {@code build()} (the new instance is closed first),
   * so an observer may refuse to be attached to a second instance.
   *
   * @param crypto the instance just built
   */
  default void attached(EnvelopeCrypto crypto) {}

  /**
   * One call to a key-encryption-key provider ended (each attempt of a retried call is one call).
   *
   * @param providerId the provider's id, e.g. {@code azure-keyvault}
   * @param operation what was asked
   * @param outcome how it ended
   * @param durationNanos how long the call took, in nanoseconds
   */
  default void kekCall(
      String providerId, KekOperation operation, KekOutcome outcome, long durationNanos) {}

  /**
   * Envelopes being read found their data key already unwrapped in the decrypt-side cache.
   *
   * @param count how many lookups hit (usually 1)
   */
  default void dataKeyCacheHits(int count) {}

  /**
   * Envelopes being read did not find their data key in the decrypt-side cache, so it was
   * unwrapped by the provider (or the unwrap failed).
   *
   * @param count how many lookups missed (usually 1)
   */
  default void dataKeyCacheMisses(int count) {}

  /**
   * One item of {@link EnvelopeCrypto#rewrapAll} was handled.
   *
   * @param outcome what happened to it
   */
  default void rewrapItem(RewrapOutcome outcome) {}
}

/** The default observer. */
final class NoopObserver implements CryptoObserver {
  static final CryptoObserver INSTANCE = new NoopObserver();

  private NoopObserver() {}

  @Override
  public String toString() {
    return "CryptoObserver.noop()";
  }
}
