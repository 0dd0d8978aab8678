package dev.cmk.core.internal;

import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import com.github.benmanes.caffeine.cache.stats.StatsCounter;
import dev.cmk.core.CryptoObserver;
import dev.cmk.core.KekOperation;
import dev.cmk.core.KekOutcome;
import dev.cmk.core.RewrapOutcome;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

/**
 * The application's {@link CryptoObserver}, with every call guarded: an exception it throws is
 * logged once (event {@code cmk.observer.failed}) and otherwise ignored, so metrics can never
 * fail an operation. Also the decrypt-side cache's Caffeine {@link StatsCounter}, which turns
 * Caffeine's hit and miss records into observer calls (Caffeine records nothing at all when no
 * observer is set, see {@link DecryptionKeyCache}).
 *
 * <p>Internal components hold a {@code SafeObserver} or {@code null} (no observer): one
 * predictable branch, and no call, on paths that are not observed.
 *
 * <p>Thread-safe.
 */
public final class SafeObserver implements StatsCounter {
  private static final Logger LOG = LoggerFactory.getLogger(CryptoObserver.class);

  private final CryptoObserver observer;
  private final AtomicBoolean failureLogged = new AtomicBoolean();

  private SafeObserver(CryptoObserver observer) {
    this.observer = observer;
  }

  /** {@return a guard around {@code observer}, or null for the no-op observer} */
  public static @Nullable SafeObserver of(CryptoObserver observer) {
    return observer == CryptoObserver.noop() ? null : new SafeObserver(observer);
  }

  public void kekCall(String providerId, KekOperation op, KekOutcome outcome, long nanos) {
    try {
      observer.kekCall(providerId, op, outcome, nanos);
    } catch (RuntimeException e) {
      failed(e);
    }
  }

  public void rewrapItem(RewrapOutcome outcome) {
    try {
      observer.rewrapItem(outcome);
    } catch (RuntimeException e) {
      failed(e);
    }
  }

  @Override
  public void recordHits(int count) {
    try {
      observer.dataKeyCacheHits(count);
    } catch (RuntimeException e) {
      failed(e);
    }
  }

  @Override
  public void recordMisses(int count) {
    try {
      observer.dataKeyCacheMisses(count);
    } catch (RuntimeException e) {
      failed(e);
    }
  }

  @Override
  public void recordLoadSuccess(long loadTime) {}

  @Override
  public void recordLoadFailure(long loadTime) {}

  @Override
  public void recordEviction(int weight, RemovalCause cause) {}

  @Override
  public CacheStats snapshot() {
    return CacheStats.empty();
  }

  private void failed(RuntimeException e) {
    if (failureLogged.compareAndSet(false, true)) {
      LOG.atWarn()
          .setMessage("cmk.observer.failed")
          .addKeyValue("observer", observer.getClass().getName())
          .addKeyValue("error", e.getClass().getName())
          .log();
    }
  }

  @Override
  public String toString() {
    return "SafeObserver[" + observer + "]";
  }
}
