package dev.cmk.micrometer;

import dev.cmk.api.spi.RateBudgetObserver;
import dev.cmk.core.EnvelopeCryptoBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Binds one {@link dev.cmk.core.EnvelopeCrypto} to a Micrometer {@link MeterRegistry}. Install
 * it on the instance's builder before {@code build()}:
 *
 * <pre>{@code
 * CmkMetrics metrics = CmkMetrics.builder(registry).tag("instance", "fhir").build();
 * EnvelopeCrypto crypto = metrics.installOn(EnvelopeCrypto.builder())
 *     .provider(provider)
 *     .writeKey(key)
 *     .build();
 * }</pre>
 *
 * <p>{@link #installOn} sets the builder's {@link EnvelopeCryptoBuilder#observer observer} (counts
 * and timers) and adds a {@link dev.cmk.core.KeyAccessListener} (guard transitions); the gauges
 * (cache size, guard state and grace time per key) are registered when the instance is built. A
 * Spring Boot auto-configuration applies it as a builder customizer: {@code builder ->
 * metrics.installOn(builder)}. For the Azure Key Vault provider's rate budget, give {@link
 * #rateBudgetObserver()} to the provider's builder as well. The meters are listed in this
 * module's README.
 *
 * <p><b>Security guarantees:</b> tag values are provider ids, enum names and a key's bare name
 * ({@link dev.cmk.api.KeyReference#name()}: no vault URL, no version); never key material,
 * data, associated data or full key references.
 *
 * <p><b>Thread safety:</b> immutable once built; the meters it records into are safe for
 * concurrent use. One {@code CmkMetrics} serves one {@code EnvelopeCrypto}: build one per
 * instance, with a distinct {@linkplain Builder#tag tag} when several instances share a
 * registry (gauges with identical names and tags would otherwise report only the first).
 */
public final class CmkMetrics {
  /** Timer: calls to key-encryption-key providers; tags provider, operation, outcome. */
  public static final String KEK_CALLS = "cmk.kek.calls";
  /** Counter: decrypt-side data-key cache lookups; tag result (hit, miss). */
  public static final String DATAKEY_CACHE_REQUESTS = "cmk.datakey.cache.requests";
  /** Gauge: data keys in the decrypt-side cache. */
  public static final String DATAKEY_CACHE_SIZE = "cmk.datakey.cache.size";
  /** Function counter: data keys made (and wrapped) by the encrypt side. */
  public static final String DATAKEY_CREATED = "cmk.datakey.created";
  /** Timer: provider calls that waited for the rate budget; tag provider. */
  public static final String RATEBUDGET_WAITS = "cmk.ratebudget.waits";
  /** Counter: provider calls refused by the rate budget; tag provider. */
  public static final String RATEBUDGET_REFUSALS = "cmk.ratebudget.refusals";
  /** Gauge: 1 for the guard's current state, 0 for the others; tags key, state. */
  public static final String KEY_ACCESS_STATE = "cmk.key.access.state";
  /** Time gauge: grace time left before an explicit refresh is needed; tag key. */
  public static final String KEY_ACCESS_GRACE_REMAINING = "cmk.key.access.grace.remaining";
  /** Counter: guard transitions; tags key, transition (trip, recover, grace-expired, refresh). */
  public static final String KEY_ACCESS_TRANSITIONS = "cmk.key.access.transitions";
  /** Counter: items of a re-wrap run; tag outcome (rewrapped, already-current, failed). */
  public static final String REWRAP_ITEMS = "cmk.rewrap.items";

  private final MeterObserver observer;
  private final AtomicBoolean installed = new AtomicBoolean();

  private CmkMetrics(MeterRegistry registry, Tags tags) {
    this.observer = new MeterObserver(registry, tags);
  }

  /**
   * A builder of metrics recorded into {@code registry}.
   *
   * @param registry the registry
   * @return the builder
   */
  public static Builder builder(MeterRegistry registry) {
    return new Builder(Objects.requireNonNull(registry, "registry"));
  }

  /**
   * Installs these metrics on {@code builder}: sets its observer and adds a key-access listener.
   *
   * @param builder the builder of the instance to measure
   * @return {@code builder}
   * @throws IllegalStateException if these metrics were installed before (one instance each), or
   *     the builder already has an observer
   */
  public EnvelopeCryptoBuilder installOn(EnvelopeCryptoBuilder builder) {
    Objects.requireNonNull(builder, "builder");
    if (!installed.compareAndSet(false, true)) {
      throw new IllegalStateException("these CmkMetrics were already installed on a builder");
    }
    builder.observer(observer);
    builder.listener(observer);
    return builder;
  }

  /**
   * {@link #installOn} as a {@code Consumer}, the shape of a builder customizer.
   *
   * @return a customizer that installs these metrics
   */
  public Consumer<EnvelopeCryptoBuilder> customizer() {
    return this::installOn;
  }

  /**
   * The observer to give a provider that has a client-side rate budget (for example the Azure
   * Key Vault provider's builder), so its waits and refusals are counted in {@value
   * #RATEBUDGET_WAITS} and {@value #RATEBUDGET_REFUSALS}.
   *
   * @return the rate-budget observer of these metrics
   */
  public RateBudgetObserver rateBudgetObserver() {
    return observer;
  }

  @Override
  public String toString() {
    return "CmkMetrics" + observer.commonTags();
  }

  /** Configures {@link CmkMetrics}; each setting at most once. */
  public static final class Builder {
    private final MeterRegistry registry;
    private @Nullable Tags tags;

    private Builder(MeterRegistry registry) {
      this.registry = registry;
    }

    /**
     * Tags added to every meter, e.g. {@code instance=fhir} to tell several instances apart.
     * Keep them low-cardinality and free of secrets.
     *
     * @param tags the tags
     * @return this builder
     * @throws IllegalStateException if tags were already set
     */
    public Builder tags(Iterable<Tag> tags) {
      if (this.tags != null) {
        throw new IllegalStateException("tags was already set");
      }
      this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
      return this;
    }

    /**
     * One tag added to every meter; see {@link #tags}.
     *
     * @param key the tag's key
     * @param value the tag's value
     * @return this builder
     * @throws IllegalStateException if tags were already set
     */
    public Builder tag(String key, String value) {
      return tags(Tags.of(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value")));
    }

    /** {@return the metrics, ready to be installed on one builder} */
    public CmkMetrics build() {
      return new CmkMetrics(registry, tags != null ? tags : Tags.empty());
    }
  }
}
