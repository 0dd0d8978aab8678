package dev.cmk.core.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.cmk.api.SecretBytes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Unwrapped data keys, keyed by the envelope's routing bytes (provider id, key reference, wrap
 * algorithm, wrapped key). Bounded in size and age; loads are single-flight per key (Caffeine
 * computes atomically), and every evicted, expired or invalidated key is destroyed.
 */
public final class DecryptionKeyCache {
  private final Cache<RoutingKey, SecretBytes> cache;

  public DecryptionKeyCache(long maxEntries, Duration maxAge, Clock clock) {
    Ticker ticker =
        () -> {
          Instant now = clock.instant();
          return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        };
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(maxEntries)
            .expireAfterWrite(maxAge)
            .ticker(ticker)
            .executor(Runnable::run)
            .removalListener(
                (RoutingKey k, SecretBytes v, RemovalCause cause) -> {
                  if (v != null && cause != RemovalCause.REPLACED) {
                    v.destroy();
                  }
                })
            .build();
  }

  /**
   * A copy of the data key for {@code routing}, loading it with {@code loader} on a miss. The
   * caller must wipe the returned array.
   */
  public byte[] dataKey(byte[] routing, Supplier<SecretBytes> loader) {
    RoutingKey key = new RoutingKey(routing);
    for (int attempt = 0; ; attempt++) {
      SecretBytes secret = cache.get(key, k -> loader.get());
      try {
        return secret.copy();
      } catch (IllegalStateException destroyedConcurrently) {
        cache.asMap().remove(key, secret);
        if (attempt >= 3) {
          throw destroyedConcurrently;
        }
      }
    }
  }

  /** Whether a data key for {@code routing} is cached (for tests and diagnostics). */
  public boolean contains(byte[] routing) {
    return cache.getIfPresent(new RoutingKey(routing)) != null;
  }

  /** Seeds the cache with a key the encrypt side just wrapped (takes ownership of a copy). */
  public void put(byte[] routing, SecretBytes secret) {
    cache.put(new RoutingKey(routing), secret);
  }

  /** Destroys and forgets every cached key. */
  public void invalidateAll() {
    cache.invalidateAll();
    cache.cleanUp();
  }

  /** Runs pending maintenance (expiry) now. */
  public void cleanUp() {
    cache.cleanUp();
  }

  public long size() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  /** Immutable byte-array key with a cached hash. */
  static final class RoutingKey {
    private final byte[] bytes;
    private final int hash;

    RoutingKey(byte[] bytes) {
      this.bytes = bytes;
      this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof RoutingKey && Arrays.equals(((RoutingKey) o).bytes, bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
