package dev.cmk.core.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.SecretBytes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Unwrapped data keys, keyed by the envelope's routing bytes (provider id, key reference, wrap
 * algorithm, wrapped key). Bounded in size and age; loads are single-flight per key (Caffeine
 * computes atomically), and every evicted, expired or invalidated key is destroyed.
 */
public final class DecryptionKeyCache {
  private final Cache<RoutingKey, DataKey> cache;

  /**
   * @param observer told of every hit and miss, or null: then Caffeine records no statistics at
   *     all (its cache without a stats counter), so an unobserved cache costs nothing extra
   */
  public DecryptionKeyCache(
      long maxEntries, Duration maxAge, Clock clock, @Nullable SafeObserver observer) {
    // The system clock needs no wall-clock read (and no Instant) per lookup: Caffeine's own
    // nanosecond ticker measures the same ages. An injected clock (tests) is read as given.
    Ticker ticker = clock.equals(Clock.systemUTC())
        ? Ticker.systemTicker()
        : () -> {
          Instant now = clock.instant();
          return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        };
    Caffeine<Object, Object> builder = Caffeine.newBuilder();
    if (observer != null) {
      builder.recordStats(() -> observer);
    }
    this.cache =
        builder
            .maximumSize(maxEntries)
            .expireAfterWrite(maxAge)
            .ticker(ticker)
            .executor(Runnable::run)
            .removalListener(
                (RoutingKey k, DataKey v, RemovalCause cause) -> {
                  // REPLACED is handled by put(), which knows whether the value really changed.
                  if (v != null && cause != RemovalCause.REPLACED) {
                    v.destroy();
                  }
                })
            .build();
  }

  /**
   * The data key for the routing bytes of {@code header}, loading it with {@code loader} on a miss.
   * The result may be destroyed by a concurrent eviction at any time: callers catch {@link
   * IllegalStateException} from its use and call {@link #forget} and this method again.
   */
  public DataKey dataKey(EnvelopeHeader header, Supplier<SecretBytes> loader) {
    return cache.get(RoutingKey.of(header), k -> DataKey.of(checkedLength(loader.get())));
  }

  /**
   * A data key is 32 bytes (format v1). Anything else unwrapped from a header can only come from
   * an envelope made outside cmk (the wrap uses a public key) or from a faulty provider; it is
   * refused like any other invalid envelope and never cached.
   */
  private static SecretBytes checkedLength(SecretBytes unwrapped) {
    if (unwrapped.length() != DataKey.LENGTH) {
      unwrapped.destroy();
      throw new InvalidCiphertextException();
    }
    return unwrapped;
  }

  /** The cached format 2 data key of record {@code id}, or null (a hit or a miss for stats). */
  public @Nullable DataKey recordKeyIfPresent(byte[] id) {
    return cache.getIfPresent(recordCacheKey(id));
  }

  /**
   * The format 2 data key of record {@code id}, loaded with {@code loader} on a miss (single
   * flight). The loader must not call the loss-of-access guard or the store (see
   * RecordReadDataKeys). The loader checks the key against the id; what it throws propagates and
   * nothing is cached.
   */
  public DataKey recordKey(byte[] id, Supplier<DataKey> loader) {
    // Through the map view: the miss was already counted by recordKeyIfPresent.
    return cache.asMap().computeIfAbsent(recordCacheKey(id), k -> loader.get());
  }

  /** Seeds the cache with the data key of a record this instance just made (takes ownership). */
  public void putRecordKey(byte[] id, DataKey key) {
    DataKey replaced = cache.asMap().put(recordCacheKey(id), key);
    if (replaced != null && replaced != key) {
      replaced.destroy();
    }
  }

  /** Drops {@code key} if it is still the entry for record {@code id}. */
  public void forgetRecordKey(byte[] id, DataKey key) {
    cache.asMap().remove(recordCacheKey(id), key);
  }

  /**
   * Format 2 entries are keyed by a zero byte and the record id: a format 1 routing key starts
   * with its provider id's length, never zero, so the two never meet.
   */
  private static RoutingKey recordCacheKey(byte[] id) {
    byte[] k = new byte[1 + id.length];
    System.arraycopy(id, 0, k, 1, id.length);
    return new RoutingKey(k, 0, k.length, null);
  }

  /** Drops {@code key} if it is still the entry for {@code header}. */
  public void forget(EnvelopeHeader header, DataKey key) {
    cache.asMap().remove(RoutingKey.of(header), key);
  }

  /** Whether a data key for {@code header} is cached (for tests and diagnostics; not a hit or miss). */
  public boolean contains(EnvelopeHeader header) {
    return cache.asMap().containsKey(RoutingKey.of(header));
  }

  /** Seeds the cache with a key the encrypt side just wrapped under {@code version} (takes ownership). */
  public void put(byte[] routing, KeyVersionId version, SecretBytes secret) {
    DataKey key = DataKey.of(secret);
    DataKey replaced =
        cache.asMap().put(new RoutingKey(routing, 0, routing.length, version), key);
    if (replaced != null && replaced != key) {
      replaced.destroy();
    }
  }

  /**
   * Destroys and forgets every cached key wrapped under {@code version} (the version became
   * unusable); keys under other versions stay.
   */
  public void invalidate(KeyVersionId version) {
    invalidateWhere(version::equals);
  }

  /** Destroys and forgets every cached key whose version matches {@code which}. */
  public void invalidateWhere(java.util.function.Predicate<KeyVersionId> which) {
    // A format 1 entry's version is in its key; a format 2 entry's in its value (the version its
    // record was unwrapped under).
    cache.asMap().entrySet().removeIf(e -> (e.getKey().version != null
        && which.test(e.getKey().version))
        || (e.getValue().source() != null && which.test(e.getValue().source())));
    cache.cleanUp();
  }

  /** Destroys and forgets every cached key. */
  public void invalidateAll() {
    cache.invalidateAll();
    cache.cleanUp();
  }

  /** Whether Caffeine records hits and misses (only when an observer was given). */
  public boolean recordsStats() {
    return cache.policy().isRecordingStats();
  }

  public long size() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  /** A range of a byte array (not copied: the header bytes are never modified) with its hash. */
  static final class RoutingKey {
    private final byte[] bytes;
    private final int from;
    private final int to;
    private final int hash;
    private final KeyVersionId version; // what wrapped the key; not part of equality

    RoutingKey(byte[] bytes, int from, int to, KeyVersionId version) {
      this.bytes = bytes;
      this.from = from;
      this.to = to;
      this.version = version;
      // Routing bytes end with the wrapped key, an RSA ciphertext that looks uniformly random, so
      // its last bytes make a good hash without reading all of it. Only keys that unwrapped are
      // ever stored, so crafted collisions cannot fill a bucket.
      int h = to - from;
      for (int i = Math.max(from, to - 8); i < to; i++) {
        h = 31 * h + bytes[i];
      }
      this.hash = h;
    }

    static RoutingKey of(EnvelopeHeader header) {
      return new RoutingKey(header.bytes(), header.routingOffset(), header.staticLength(),
          KeyVersionId.of(header));
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof RoutingKey)) {
        return false;
      }
      RoutingKey k = (RoutingKey) o;
      return k.hash == hash && Arrays.equals(bytes, from, to, k.bytes, k.from, k.to);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public String toString() {
      return "RoutingKey[" + version + "]"; // never the wrapped key bytes
    }
  }
}
