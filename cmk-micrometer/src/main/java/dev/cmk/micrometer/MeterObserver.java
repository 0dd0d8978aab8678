package dev.cmk.micrometer;

import dev.cmk.core.CryptoObserver;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KekOperation;
import dev.cmk.core.KekOutcome;
import dev.cmk.core.KeyAccessEvent;
import dev.cmk.core.KeyAccessListener;
import dev.cmk.core.RewrapOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * The {@link CryptoObserver} and {@link KeyAccessListener} behind {@link CmkMetrics}. Meters are
 * created once and kept (per provider id for the provider-tagged ones), so recording is a map
 * lookup and an increment, never a registry lookup.
 *
 * <p>Thread-safe.
 */
final class MeterObserver implements CryptoObserver, KeyAccessListener {
  private static final KekOperation[] OPERATIONS = KekOperation.values();
  private static final KekOutcome[] OUTCOMES = KekOutcome.values();

  private final MeterRegistry registry;
  private final Tags tags;
  private final Counter cacheHits;
  private final Counter cacheMisses;
  private final Map<RewrapOutcome, Counter> rewrapItems = new EnumMap<>(RewrapOutcome.class);
  private final Map<String, Timer[]> kekCalls = new ConcurrentHashMap<>();
  private final Map<String, Timer> budgetWaits = new ConcurrentHashMap<>();
  private final Map<String, Counter> budgetRefusals = new ConcurrentHashMap<>();
  private final AtomicBoolean attached = new AtomicBoolean();
  private volatile @Nullable KeyAccessMeters keyAccess; // set when attached

  MeterObserver(MeterRegistry registry, Tags tags) {
    this.registry = registry;
    this.tags = tags;
    this.cacheHits = cacheRequests("hit");
    this.cacheMisses = cacheRequests("miss");
    for (RewrapOutcome o : RewrapOutcome.values()) {
      rewrapItems.put(o, Counter.builder(CmkMetrics.REWRAP_ITEMS)
          .description("Envelopes handled by re-wrap runs, by outcome")
          .tags(tags).tag("outcome", tagValue(o))
          .register(registry));
    }
  }

  private Counter cacheRequests(String result) {
    return Counter.builder(CmkMetrics.DATAKEY_CACHE_REQUESTS)
        .description("Decrypt-side data-key cache lookups (a miss costs a provider unwrap)")
        .tags(tags).tag("result", result)
        .register(registry);
  }

  Tags commonTags() {
    return tags;
  }

  /** Lower-case, hyphenated enum name: {@code NOT_FOUND} becomes {@code not-found}. */
  static String tagValue(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  // ------------------------------------------------------------------ gauges

  @Override
  public void attached(EnvelopeCrypto crypto) {
    if (!attached.compareAndSet(false, true)) {
      throw new IllegalStateException("CmkMetrics measure one EnvelopeCrypto; build one per instance");
    }
    Gauge.builder(CmkMetrics.DATAKEY_CACHE_SIZE, crypto, c -> c.diagnostics().cachedDataKeys())
        .description("Unwrapped data keys held by the decrypt-side cache")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder(CmkMetrics.DATAKEY_CREATED, crypto,
            c -> c.diagnostics().dataKeysCreated())
        .description("Data keys made and wrapped by the encrypt side")
        .tags(tags)
        .register(registry);
    KeyAccessMeters meters = new KeyAccessMeters(registry, tags, crypto);
    keyAccess = meters;
    meters.track(crypto.keyAccess().status().configuredKey());
  }

  // ------------------------------------------------------------------ observer

  @Override
  public void kekCall(String providerId, KekOperation operation, KekOutcome outcome,
      long durationNanos) {
    Timer[] timers = kekCalls.get(providerId);
    if (timers == null) {
      timers = kekCalls.computeIfAbsent(providerId, this::kekTimers);
    }
    timers[operation.ordinal() * OUTCOMES.length + outcome.ordinal()]
        .record(durationNanos, TimeUnit.NANOSECONDS);
  }

  /** Every operation/outcome timer of one provider, registered up front (a few dozen). */
  private Timer[] kekTimers(String providerId) {
    Timer[] timers = new Timer[OPERATIONS.length * OUTCOMES.length];
    for (KekOperation op : OPERATIONS) {
      for (KekOutcome out : OUTCOMES) {
        timers[op.ordinal() * OUTCOMES.length + out.ordinal()] =
            Timer.builder(CmkMetrics.KEK_CALLS)
                .description("Calls to key-encryption-key providers (each retry is a call)")
                .tags(tags)
                .tag("provider", providerId)
                .tag("operation", tagValue(op))
                .tag("outcome", tagValue(out))
                .register(registry);
      }
    }
    return timers;
  }

  @Override
  public void dataKeyCacheHits(int count) {
    cacheHits.increment(count);
  }

  @Override
  public void dataKeyCacheMisses(int count) {
    cacheMisses.increment(count);
  }

  @Override
  public void rewrapItem(RewrapOutcome outcome) {
    rewrapItems.get(outcome).increment();
  }

  @Override
  public void rateBudgetWaited(String providerId, Duration waited) {
    budgetWaits.computeIfAbsent(providerId, id -> Timer.builder(CmkMetrics.RATEBUDGET_WAITS)
            .description("Provider calls that waited for a slot of the client-side rate budget")
            .tags(tags).tag("provider", id)
            .register(registry))
        .record(waited);
  }

  @Override
  public void rateBudgetRefused(String providerId, Duration wouldWait) {
    budgetRefusals.computeIfAbsent(providerId, id -> Counter.builder(CmkMetrics.RATEBUDGET_REFUSALS)
            .description("Provider calls refused by the client-side rate budget")
            .tags(tags).tag("provider", id)
            .register(registry))
        .increment();
  }

  // ------------------------------------------------------------------ listener

  @Override
  public void onEvent(KeyAccessEvent event) {
    KeyAccessMeters meters = keyAccess;
    if (meters != null) {
      meters.onEvent(event);
    }
  }

  @Override
  public String toString() {
    return "MeterObserver" + tags;
  }
}
