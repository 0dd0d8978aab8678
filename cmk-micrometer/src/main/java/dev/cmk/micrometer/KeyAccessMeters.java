package dev.cmk.micrometer;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessEvent;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The loss-of-access guard's meters for the configured key: a state gauge per state (1 for the
 * current one), the grace time left, and transition counters. Tagged with the key's bare name
 * ({@link KeyReference#name()}); when a refresh moves the instance to a key with another name,
 * the gauges move with it (the old key's are removed). Gauges read {@link
 * dev.cmk.core.KeyAccessGuard#status()} at each scrape and hold the instance weakly.
 *
 * <p>Thread-safe: gauge registration is synchronized; counters are Micrometer's.
 */
final class KeyAccessMeters {
  /** The tag value of a decrypt-only instance's transitions (it has no configured key). */
  static final String NO_KEY = "none";

  private final MeterRegistry registry;
  private final Tags tags;
  private final EnvelopeCrypto crypto;
  private @Nullable String trackedName; // guarded by this
  private final List<Meter> gauges = new ArrayList<>(); // guarded by this

  KeyAccessMeters(MeterRegistry registry, Tags tags, EnvelopeCrypto crypto) {
    this.registry = registry;
    this.tags = tags;
    this.crypto = crypto;
  }

  /** The tag value for {@code key}: its bare name, never its URL or version. */
  static String keyName(KeyReference key) {
    return key == null ? NO_KEY : key.name();
  }

  /** Registers the gauges of {@code key} (if it has another name than the tracked one). */
  synchronized void track(KeyReference key) {
    if (key == null) {
      return; // decrypt-only: no guard state to show
    }
    String name = keyName(key);
    if (name.equals(trackedName)) {
      return;
    }
    for (Meter m : gauges) {
      registry.remove(m);
    }
    gauges.clear();
    trackedName = name;
    Tags keyTags = tags.and("key", name);
    for (KeyAccessState s : KeyAccessState.values()) {
      gauges.add(Gauge.builder(CmkMetrics.KEY_ACCESS_STATE, crypto,
              c -> c.keyAccess().status().state() == s ? 1 : 0)
          .description("1 for the loss-of-access guard's current state, 0 for the others")
          .tags(keyTags).tag("state", MeterObserver.tagValue(s))
          .register(registry));
    }
    gauges.add(TimeGauge.builder(CmkMetrics.KEY_ACCESS_GRACE_REMAINING, crypto,
            TimeUnit.MILLISECONDS, c -> c.keyAccess().status().graceRemaining().toMillis())
        .description("Time left before access lost this long needs an explicit refresh")
        .tags(keyTags)
        .register(registry));
  }

  void onEvent(KeyAccessEvent event) {
    if (event instanceof KeyAccessEvent.StateChanged) {
      KeyAccessEvent.StateChanged changed = (KeyAccessEvent.StateChanged) event;
      KeyAccessStatus to = changed.to();
      track(to.configuredKey());
      String transition = transition(changed.from().state(), to.state());
      if (transition != null) {
        count(to.configuredKey(), transition);
      }
    } else if (event instanceof KeyAccessEvent.Refreshed) {
      count(((KeyAccessEvent.Refreshed) event).key(), "refresh");
    } else if (event instanceof KeyAccessEvent.RotationPickedUp) {
      track(((KeyAccessEvent.RotationPickedUp) event).to());
    }
  }

  private void count(KeyReference key, String transition) {
    Counter.builder(CmkMetrics.KEY_ACCESS_TRANSITIONS)
        .description("Loss-of-access guard transitions: trips, recoveries, grace expiries, refreshes")
        .tags(tags).tag("key", keyName(key)).tag("transition", transition)
        .register(registry)
        .increment();
  }

  /**
   * Names a state change: {@code trip} (into unavailable), {@code recover} (unavailable back to
   * available, by a probe or a refresh), {@code grace-expired} (into refresh required); null for
   * refresh required back to available, which only a refresh does and which the {@link
   * KeyAccessEvent.Refreshed} event counts as {@code refresh} (every successful refresh is
   * counted once, in whatever state it found the guard).
   */
  static @Nullable String transition(KeyAccessState from, KeyAccessState to) {
    switch (to) {
      case UNAVAILABLE:
        return "trip";
      case REFRESH_REQUIRED:
        return "grace-expired";
      default:
        return from == KeyAccessState.REFRESH_REQUIRED ? null : "recover";
    }
  }
}
