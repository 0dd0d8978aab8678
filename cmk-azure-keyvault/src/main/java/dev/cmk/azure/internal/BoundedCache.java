package dev.cmk.azure.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A small least-recently-used map with a hard size bound, so that references named by untrusted
 * envelopes cannot grow memory without limit.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (one lock; operations are short).
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class BoundedCache<K, V> {
  private final LinkedHashMap<K, V> map;

  /**
   * @param maxEntries the bound, at least 1
   */
  public BoundedCache(int maxEntries) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be at least 1");
    }
    this.map =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
            return size() > maxEntries;
          }
        };
  }

  /** The value for {@code key}, or {@code null}. */
  public synchronized @Nullable V get(K key) {
    return map.get(key);
  }

  /** Stores a value. */
  public synchronized void put(K key, V value) {
    map.put(key, value);
  }

  /**
   * The value for {@code key}, created with {@code factory} (outside the lock) when absent.
   *
   * @param key the key
   * @param factory creates the value
   * @return the cached or new value
   */
  public V computeIfAbsent(K key, Function<K, V> factory) {
    V existing = get(key);
    if (existing != null) {
      return existing;
    }
    V created = factory.apply(key);
    synchronized (this) {
      V raced = map.get(key);
      if (raced != null) {
        return raced;
      }
      map.put(key, created);
      return created;
    }
  }

  /** Removes everything. */
  public synchronized void clear() {
    map.clear();
  }

  /** Current number of entries. */
  public synchronized int size() {
    return map.size();
  }
}
