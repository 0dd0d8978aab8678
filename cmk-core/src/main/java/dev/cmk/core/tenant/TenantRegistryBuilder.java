package dev.cmk.core.tenant;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.DataKeyCacheSettings;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Configures a {@link TenantRegistry}. {@link #source} and {@link #providerFactory} are required;
 * each setting may be given once (a second call is an {@link IllegalStateException}).
 */
public final class TenantRegistryBuilder {
  /** Default most tenants kept resident. */
  public static final long DEFAULT_MAX_TENANTS = 10_000;
  /** Default idle time after which a tenant is evicted. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(30);
  /** Default data-key cache of each tenant: 100 data keys, 1 hour. */
  public static final DataKeyCacheSettings DEFAULT_DATA_KEY_CACHE =
      new DataKeyCacheSettings(100, Duration.ofHours(1));
  /** Default share of the probe interval that tenants' intervals are spread over. */
  public static final double DEFAULT_PROBE_SPREAD = 0.25;
  /** Default number of probe threads the registry makes when no executor is given. */
  public static final int DEFAULT_PROBE_THREADS = 4;

  @Nullable TenantKeySource source;
  @Nullable Function<String, ? extends KeyEncryptionKeyProvider> providerFactory;
  private @Nullable Long maxTenants;
  private @Nullable Duration idleTimeout;
  private @Nullable DataKeyCacheSettings dataKeyCache;
  @Nullable DataKeyLimits dataKeyLimits;
  private @Nullable Double probeSpread;
  private @Nullable ScheduledExecutorService scheduler;
  private @Nullable Executor probeExecutor;
  private @Nullable Clock clock;
  private @Nullable Sleeper sleeper;
  @Nullable TenantAccessListener listener;
  boolean manualProbes; // tests turn the wheel themselves

  TenantRegistryBuilder() {}

  private static void once(@Nullable Object current, String name) {
    if (current != null) {
      throw new IllegalStateException(name + " was already set");
    }
  }

  /**
   * Where each tenant's key configuration comes from (required).
   *
   * @param source the source
   * @return this builder
   */
  public TenantRegistryBuilder source(TenantKeySource source) {
    once(this.source, "source");
    this.source = Objects.requireNonNull(source, "source");
    return this;
  }

  /**
   * Makes the provider for a name a tenant's {@link TenantKeys} gives (required): typically one
   * per vault or HSM and identity, with its rate budget. Called once per name, the first time a
   * tenant needs it; the registry shares the result across tenants and closes it on {@link
   * TenantRegistry#close()}.
   *
   * @param factory makes a provider from its name; never returns null
   * @return this builder
   */
  public TenantRegistryBuilder providerFactory(
      Function<String, ? extends KeyEncryptionKeyProvider> factory) {
    once(this.providerFactory, "providerFactory");
    this.providerFactory = Objects.requireNonNull(factory, "factory");
    return this;
  }

  /**
   * Most tenants kept resident (default {@value #DEFAULT_MAX_TENANTS}); the least recently used
   * beyond it are evicted. Tenants whose key is unavailable are kept aside beyond this bound for
   * at most their grace period; see {@link TenantRegistry}.
   *
   * @param max at least 1
   * @return this builder
   */
  public TenantRegistryBuilder maxTenants(long max) {
    once(maxTenants, "maxTenants");
    if (max < 1) {
      throw new IllegalArgumentException("maxTenants must be at least 1");
    }
    maxTenants = max;
    return this;
  }

  /**
   * How long a tenant stays resident without being used (default 30 minutes).
   *
   * @param idle positive
   * @return this builder
   */
  public TenantRegistryBuilder idleTimeout(Duration idle) {
    once(idleTimeout, "idleTimeout");
    Objects.requireNonNull(idle, "idle");
    if (idle.isZero() || idle.isNegative()) {
      throw new IllegalArgumentException("idleTimeout must be positive");
    }
    idleTimeout = idle;
    return this;
  }

  /**
   * Each tenant's decrypt-side data-key cache (default 100 data keys, 1 hour). At most {@code
   * maxTenants × maxEntries} data keys are cached in all.
   *
   * @param settings the settings
   * @return this builder
   */
  public TenantRegistryBuilder dataKeyCache(DataKeyCacheSettings settings) {
    once(dataKeyCache, "dataKeyCache");
    dataKeyCache = Objects.requireNonNull(settings, "settings");
    return this;
  }

  /**
   * Each tenant's encrypt-side data-key reuse limits (default {@link DataKeyLimits#DEFAULT}).
   *
   * @param limits the limits
   * @return this builder
   */
  public TenantRegistryBuilder dataKeyLimits(DataKeyLimits limits) {
    once(dataKeyLimits, "dataKeyLimits");
    dataKeyLimits = Objects.requireNonNull(limits, "limits");
    return this;
  }

  /**
   * The share of each tenant's probe interval its probes are moved earlier by, picked from the
   * tenant id (default 0.25: a tenant configured for 60 s probes every 45 to 60 s). 0 turns the
   * spreading off.
   *
   * @param fraction 0 to 0.5
   * @return this builder
   */
  public TenantRegistryBuilder probeSpread(double fraction) {
    once(probeSpread, "probeSpread");
    if (!(fraction >= 0 && fraction <= 0.5)) {
      throw new IllegalArgumentException("probeSpread must be 0 to 0.5");
    }
    probeSpread = fraction;
    return this;
  }

  /**
   * Runs the probe wheel (one short task per second). Default: a daemon thread the registry makes
   * and stops on close. The scheduler stays the application's.
   *
   * @param scheduler the scheduler
   * @return this builder
   */
  public TenantRegistryBuilder probeScheduler(ScheduledExecutorService scheduler) {
    once(this.scheduler, "probeScheduler");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    return this;
  }

  /**
   * Runs the probes the wheel hands out (provider calls) and closes evicted tenants. Default: a
   * pool of {@value #DEFAULT_PROBE_THREADS} daemon threads the registry makes and stops on close.
   * Size it for the number of vaults that may be slow at once: a probe waiting for an unreachable
   * vault occupies a thread.
   *
   * @param executor the executor
   * @return this builder
   */
  public TenantRegistryBuilder probeExecutor(Executor executor) {
    once(probeExecutor, "probeExecutor");
    probeExecutor = Objects.requireNonNull(executor, "executor");
    return this;
  }

  /**
   * Time source for every tenant and for idle eviction (default UTC system clock).
   *
   * @param clock the clock
   * @return this builder
   */
  public TenantRegistryBuilder clock(Clock clock) {
    once(this.clock, "clock");
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /**
   * How retries wait (default: sleep the thread). Tests pass a manual clock's advance.
   *
   * @param sleeper how to wait
   * @return this builder
   */
  public TenantRegistryBuilder sleeper(Sleeper sleeper) {
    once(this.sleeper, "sleeper");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    return this;
  }

  /**
   * Receives every tenant's key access events.
   *
   * @param listener the listener
   * @return this builder
   */
  public TenantRegistryBuilder listener(TenantAccessListener listener) {
    once(this.listener, "listener");
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /** No wheel task: the test turns {@link TenantRegistry#probeTick()} itself. */
  TenantRegistryBuilder manualProbes() {
    manualProbes = true;
    return this;
  }

  long maxTenants() {
    return maxTenants != null ? maxTenants : DEFAULT_MAX_TENANTS;
  }

  Duration idleTimeout() {
    return idleTimeout != null ? idleTimeout : DEFAULT_IDLE_TIMEOUT;
  }

  DataKeyCacheSettings dataKeyCache() {
    return dataKeyCache != null ? dataKeyCache : DEFAULT_DATA_KEY_CACHE;
  }

  double probeSpread() {
    return probeSpread != null ? probeSpread : DEFAULT_PROBE_SPREAD;
  }

  Clock clock() {
    return clock != null ? clock : Clock.systemUTC();
  }

  Sleeper sleeper() {
    return sleeper != null ? sleeper : Sleeper.system();
  }

  @Nullable ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /**
   * Builds the registry. Nothing is called yet: tenants are built on first use.
   *
   * @return the registry
   * @throws IllegalStateException if the source or the provider factory is missing
   */
  public TenantRegistry build() {
    if (source == null) {
      throw new IllegalStateException("source is required");
    }
    if (providerFactory == null) {
      throw new IllegalStateException("providerFactory is required");
    }
    List<ExecutorService> owned = new ArrayList<>();
    Executor probes = probeExecutor;
    if (probes == null) {
      ExecutorService pool =
          Executors.newFixedThreadPool(DEFAULT_PROBE_THREADS, daemon("cmk-tenant-probe-"));
      owned.add(pool);
      probes = pool;
    }
    if (scheduler == null && !manualProbes) {
      ScheduledExecutorService wheel =
          Executors.newSingleThreadScheduledExecutor(daemon("cmk-tenant-wheel-"));
      owned.add(wheel);
      scheduler = wheel;
    }
    return new TenantRegistry(this, probes, List.copyOf(owned));
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
