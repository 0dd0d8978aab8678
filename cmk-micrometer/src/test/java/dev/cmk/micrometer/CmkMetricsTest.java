package dev.cmk.micrometer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.RewrapItem;
import dev.cmk.core.RewrapReport;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The meters, through real operations on the in-memory provider and a manual clock. */
class CmkMetricsTest {
  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final byte[] aad = "Patient/1".getBytes(StandardCharsets.UTF_8);

  private EnvelopeCryptoBuilder builder(KeyReference key) {
    return EnvelopeCrypto.builder().provider(provider).writeKey(key).clock(clock)
        .sleeper(clock::advance);
  }

  private EnvelopeCrypto measured(KeyReference key, String instance) {
    return CmkMetrics.builder(registry).tag("instance", instance).build()
        .installOn(builder(key)).build();
  }

  private double counter(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  private long kekCalls(String instance, String operation, String outcome) {
    Timer t = registry.find(CmkMetrics.KEK_CALLS)
        .tags("instance", instance, "provider", "in-memory", "operation", operation,
            "outcome", outcome)
        .timer();
    return t == null ? 0 : t.count();
  }

  private double state(String instance, String key, KeyAccessState state) {
    return registry.get(CmkMetrics.KEY_ACCESS_STATE)
        .tags("instance", instance, "key", key, "state", MeterObserver.tagValue(state))
        .gauge().value();
  }

  private double graceSeconds(String instance, String key) {
    TimeGauge g = registry.get(CmkMetrics.KEY_ACCESS_GRACE_REMAINING)
        .tags("instance", instance, "key", key).timeGauge();
    return g.value(TimeUnit.SECONDS);
  }

  @Test
  void encryptDecrypt_cacheRequestsCountedExactly() {
    KeyReference key = provider.manager().createKey("cache", 2048).versionless();
    EnvelopeCrypto writer = measured(key, "writer");
    List<byte[]> envelopes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      envelopes.add(writer.encrypt(("doc " + i).getBytes(StandardCharsets.UTF_8), aad));
    }
    for (byte[] e : envelopes) {
      writer.decrypt(e, aad);
    }
    // The writer's data key was seeded into its own cache: 3 hits, no miss.
    assertEquals(3, counter(CmkMetrics.DATAKEY_CACHE_REQUESTS, "instance", "writer", "result", "hit"));
    assertEquals(0, counter(CmkMetrics.DATAKEY_CACHE_REQUESTS, "instance", "writer", "result", "miss"));
    FunctionCounter created = registry.get(CmkMetrics.DATAKEY_CREATED)
        .tags("instance", "writer").functionCounter();
    assertEquals(1, created.count());
    assertEquals(2, kekCalls("writer", "wrap", "success"), "the start-up canary and one data key");

    EnvelopeCrypto reader = measured(key, "reader");
    long unwrapsAtBuild = kekCalls("reader", "unwrap", "success");
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(("doc " + i).getBytes(StandardCharsets.UTF_8),
          reader.decrypt(envelopes.get(i), aad));
    }
    assertEquals(2, counter(CmkMetrics.DATAKEY_CACHE_REQUESTS, "instance", "reader", "result", "hit"));
    assertEquals(1, counter(CmkMetrics.DATAKEY_CACHE_REQUESTS, "instance", "reader", "result", "miss"));
    assertEquals(1, kekCalls("reader", "unwrap", "success") - unwrapsAtBuild);
    Gauge size = registry.get(CmkMetrics.DATAKEY_CACHE_SIZE).tags("instance", "reader").gauge();
    assertEquals(1, size.value());
    reader.diagnostics().purgeDataKeys();
    assertEquals(0, size.value());
  }

  @Test
  void disabledKey_deniedOutcomeTripAndStateGauge() {
    KeyReference v1 = provider.manager().createKey("patient-data", 2048);
    byte[] envelope = builder(v1.versionless()).build().encrypt(new byte[10], aad);
    EnvelopeCrypto reader = measured(v1.versionless(), "r");
    assertEquals(1, state("r", "patient-data", KeyAccessState.AVAILABLE));
    assertEquals(0, state("r", "patient-data", KeyAccessState.UNAVAILABLE));

    provider.manager().setEnabled(v1, false);
    assertThrows(RuntimeException.class, () -> reader.decrypt(envelope, aad));
    assertEquals(1, kekCalls("r", "unwrap", "denied"));
    assertEquals(1, counter(CmkMetrics.DATAKEY_CACHE_REQUESTS, "instance", "r", "result", "miss"));

    // The guard re-checks the configured key after the denial and trips.
    assertEquals(KeyAccessState.UNAVAILABLE, reader.keyAccess().status().state());
    assertEquals(0, state("r", "patient-data", KeyAccessState.AVAILABLE));
    assertEquals(1, state("r", "patient-data", KeyAccessState.UNAVAILABLE));
    assertEquals(1, counter(CmkMetrics.KEY_ACCESS_TRANSITIONS,
        "instance", "r", "key", "patient-data", "transition", "trip"));
  }

  @Test
  void manualClock_graceGaugeCountsDown_thenRefreshCounted() {
    KeyReference v1 = provider.manager().createKey("grace", 2048);
    EnvelopeCrypto crypto = measured(v1.versionless(), "g");
    assertEquals(0, graceSeconds("g", "grace"), "no grace period runs while available");

    provider.manager().setEnabled(v1, false);
    clock.advance(Duration.ofMinutes(6)); // past the probe interval: the next use probes
    assertThrows(RuntimeException.class, () -> crypto.encrypt(new byte[1], aad));
    assertEquals(1, state("g", "grace", KeyAccessState.UNAVAILABLE));
    assertEquals(Duration.ofMinutes(30).toSeconds(), graceSeconds("g", "grace"), 1.0);

    clock.advance(Duration.ofMinutes(10));
    assertEquals(Duration.ofMinutes(20).toSeconds(), graceSeconds("g", "grace"), 1.0);

    clock.advance(Duration.ofMinutes(21));
    assertEquals(1, state("g", "grace", KeyAccessState.REFRESH_REQUIRED));
    assertEquals(0, graceSeconds("g", "grace"));
    assertEquals(1, counter(CmkMetrics.KEY_ACCESS_TRANSITIONS,
        "instance", "g", "key", "grace", "transition", "grace-expired"));

    provider.manager().setEnabled(v1, true);
    crypto.keyAccess().refresh();
    assertEquals(1, state("g", "grace", KeyAccessState.AVAILABLE));
    assertEquals(1, counter(CmkMetrics.KEY_ACCESS_TRANSITIONS,
        "instance", "g", "key", "grace", "transition", "refresh"));
    assertEquals(1, counter(CmkMetrics.KEY_ACCESS_TRANSITIONS,
        "instance", "g", "key", "grace", "transition", "trip"));

    crypto.keyAccess().refresh(); // while available: a refresh all the same, no state change
    assertEquals(2, counter(CmkMetrics.KEY_ACCESS_TRANSITIONS,
        "instance", "g", "key", "grace", "transition", "refresh"));
  }

  @Test
  void rewrapAll_itemsCountedByOutcome() {
    KeyReference v1 = provider.manager().createKey("rewrap", 2048);
    EnvelopeCrypto crypto = measured(v1.versionless(), "w");
    byte[][] stored = {crypto.encrypt(new byte[10], aad), crypto.encrypt(new byte[20], aad),
        "not an envelope".getBytes(StandardCharsets.UTF_8)};
    provider.manager().rotateKey(v1);
    clock.advance(Duration.ofMinutes(6));
    List<RewrapItem> items = new ArrayList<>();
    for (int i = 0; i < stored.length; i++) {
      int n = i;
      items.add(RewrapItem.ofBytes("item-" + i, () -> stored[n], b -> stored[n] = b));
    }
    RewrapReport report = crypto.rewrapAll(items, (id, o, done) -> { });
    assertEquals(2, report.rewrapped());
    crypto.rewrapAll(items, (id, o, done) -> { });
    assertEquals(2, counter(CmkMetrics.REWRAP_ITEMS, "instance", "w", "outcome", "rewrapped"));
    assertEquals(2, counter(CmkMetrics.REWRAP_ITEMS, "instance", "w", "outcome", "already-current"));
    assertEquals(2, counter(CmkMetrics.REWRAP_ITEMS, "instance", "w", "outcome", "failed"));
  }

  @Test
  void rateBudgetObserver_recordsWaitsAndRefusals() {
    CmkMetrics metrics = CmkMetrics.builder(registry).build();
    metrics.rateBudgetObserver().rateBudgetWaited("azure-keyvault", Duration.ofMillis(250));
    metrics.rateBudgetObserver().rateBudgetWaited("azure-keyvault", Duration.ofMillis(750));
    metrics.rateBudgetObserver().rateBudgetRefused("azure-keyvault", Duration.ofSeconds(9));
    Timer waits = registry.get(CmkMetrics.RATEBUDGET_WAITS).tags("provider", "azure-keyvault").timer();
    assertEquals(2, waits.count());
    assertEquals(1.0, waits.totalTime(TimeUnit.SECONDS), 1e-9);
    assertEquals(1, counter(CmkMetrics.RATEBUDGET_REFUSALS, "provider", "azure-keyvault"));
  }

  @Test
  void installOn_secondBuilder_throwsIllegalState() {
    CmkMetrics metrics = CmkMetrics.builder(registry).build();
    KeyReference key = provider.manager().createKey("once", 2048).versionless();
    metrics.installOn(builder(key));
    assertThrows(IllegalStateException.class, () -> metrics.installOn(builder(key)));
  }

  @Test
  void builder_tagsTwice_throwsIllegalState() {
    CmkMetrics.Builder b = CmkMetrics.builder(registry).tag("instance", "a");
    assertThrows(IllegalStateException.class, () -> b.tags(Tags.of("instance", "b")));
    assertThrows(NullPointerException.class, () -> CmkMetrics.builder(null));
  }

  @Test
  void customizer_installsLikeInstallOn() {
    KeyReference key = provider.manager().createKey("customized", 2048).versionless();
    EnvelopeCryptoBuilder b = builder(key);
    CmkMetrics.builder(registry).tag("instance", "c").build().customizer().accept(b);
    EnvelopeCrypto crypto = b.build();
    crypto.encrypt(new byte[1], aad);
    assertEquals(1, state("c", "customized", KeyAccessState.AVAILABLE));
  }

  @Test
  void decryptOnlyInstance_hasNoKeyGauges() {
    KeyReference key = provider.manager().createKey("read-only", 2048).versionless();
    byte[] envelope = builder(key).build().encrypt(new byte[5], aad);
    EnvelopeCrypto reader = CmkMetrics.builder(registry).tag("instance", "ro").build()
        .installOn(EnvelopeCrypto.builder().provider(provider).clock(clock)).build();
    assertArrayEquals(new byte[5], reader.decrypt(envelope, aad));
    assertNull(registry.find(CmkMetrics.KEY_ACCESS_STATE).tags("instance", "ro").gauge());
    assertEquals(1, counter(CmkMetrics.DATAKEY_CACHE_REQUESTS, "instance", "ro", "result", "miss"));
  }

  @Test
  void transition_namesEveryChange() {
    assertEquals("trip", KeyAccessMeters.transition(KeyAccessState.AVAILABLE, KeyAccessState.UNAVAILABLE));
    assertEquals("recover", KeyAccessMeters.transition(KeyAccessState.UNAVAILABLE, KeyAccessState.AVAILABLE));
    assertEquals("grace-expired",
        KeyAccessMeters.transition(KeyAccessState.UNAVAILABLE, KeyAccessState.REFRESH_REQUIRED));
    assertNull(KeyAccessMeters.transition(KeyAccessState.REFRESH_REQUIRED,
        KeyAccessState.AVAILABLE), "counted once, by the Refreshed event");
  }
}
