package dev.cmk.core.tenant;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.testkit.ForwardingProvider;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A provider that counts describes, wraps and unwraps per key, records when each key was
 * described (a probe), and can hold every call for chosen keys until released (a vault that
 * hangs for one tenant).
 */
final class CountingProvider extends ForwardingProvider {
  private final Clock clock;
  final AtomicLong describes = new AtomicLong();
  final AtomicLong wraps = new AtomicLong();
  final AtomicLong unwraps = new AtomicLong();
  private final ConcurrentHashMap<String, AtomicLong> callsPerKey = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, List<Instant>> describedAt = new ConcurrentHashMap<>();
  private final Set<String> held = ConcurrentHashMap.newKeySet();
  private volatile CountDownLatch release = new CountDownLatch(0);
  final CountDownLatch holding = new CountDownLatch(1);
  volatile boolean closed;

  CountingProvider(KeyEncryptionKeyProvider delegate, Clock clock) {
    super(delegate);
    this.clock = clock;
  }

  /** Holds every call for {@code key} until {@link #release()}. */
  void hold(KeyReference key) {
    release = new CountDownLatch(1);
    held.add(key.versionless().toString());
  }

  void release() {
    held.clear();
    release.countDown();
  }

  long calls(KeyReference key) {
    AtomicLong n = callsPerKey.get(key.versionless().toString());
    return n == null ? 0 : n.get();
  }

  List<Instant> describedAt(KeyReference key) {
    return describedAt.getOrDefault(key.versionless().toString(), List.of());
  }

  private void count(KeyReference key) {
    String k = key.versionless().toString();
    callsPerKey.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
    if (held.contains(k)) {
      holding.countDown();
      try {
        if (!release.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public KeyDescription describe(KeyReference reference) {
    describes.incrementAndGet();
    describedAt.computeIfAbsent(reference.versionless().toString(),
        x -> new CopyOnWriteArrayList<>()).add(clock.instant());
    count(reference);
    return super.describe(reference);
  }

  @Override
  public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
    wraps.incrementAndGet();
    count(reference);
    return super.wrap(reference, dataKey);
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    unwraps.incrementAndGet();
    count(wrappedKey.keyReference());
    return super.unwrap(wrappedKey);
  }

  @Override
  public void close() {
    closed = true;
  }
}
