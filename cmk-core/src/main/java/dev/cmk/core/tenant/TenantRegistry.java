package dev.cmk.core.tenant;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyCacheSettings;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.KeyAccessSettings;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.core.KeyConfiguration;
import dev.cmk.core.Sleeper;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

/**
 * Customer-managed-key envelope encryption for many tenants in one process: each tenant has its
 * own key, identity, key policy and loss-of-access state.
 *
 * <pre>{@code
 * TenantRegistry tenants = TenantRegistry.builder()
 *     .source(tenantId -> table.keysOf(tenantId))          // tenant -> TenantKeys
 *     .providerFactory(name -> vaults.providerFor(name))   // one provider per vault/identity
 *     .build();
 * byte[] envelope = tenants.crypto("contoso").encrypt(blob, blobName);
 * }</pre>
 *
 * <ul>
 *   <li><b>Lazy, bounded.</b> A tenant's {@link EnvelopeCrypto} is built on its first use from
 *       the {@link TenantKeySource} (outside every lock shared between tenants). At most {@link
 *       TenantRegistryBuilder#maxTenants maxTenants} are kept, and tenants idle for {@link
 *       TenantRegistryBuilder#idleTimeout idleTimeout} are evicted (their cached data keys
 *       destroyed) and rebuilt on their next use.
 *   <li><b>Loss of access survives eviction.</b> A tenant whose key is unavailable (within the
 *       grace period) is not dropped when evicted: it is kept aside, still probed, until it
 *       recovers (then dropped) or its grace period ends. A tenant that needs a refresh is
 *       reduced to a record of about a hundred bytes: every request is refused with {@link
 *       KeyAccessSuspendedException} ({@code refreshRequired()} true) without a provider call,
 *       until {@link #refresh(String)} succeeds. Eviction never makes a tenant available again.
 *   <li><b>Shared providers.</b> Each provider name a tenant's {@link TenantKeys} gives is built
 *       once by the application's factory and shared (with its connections and rate budget) by
 *       every tenant naming it; each tenant sees it through a view serving only that tenant's
 *       keys.
 *   <li><b>One probe wheel.</b> One task per second looks at every tenant and hands the tenants
 *       whose confirmation is due to the probe executor, one probe per tenant at a time. Each
 *       tenant's probe interval is its configured one less a share of up to {@link
 *       TenantRegistryBuilder#probeSpread probeSpread} picked from its id, so tenants first used
 *       together drift apart instead of probing together every interval.
 * </ul>
 *
 * <p><b>Security guarantees:</b> tenants are isolated: an instance serves only its tenant's keys
 * (another tenant's envelope is refused before any provider call), data keys are cached per
 * tenant, and a tenant's revoked key fails only that tenant's requests, with {@link
 * KeyAccessSuspendedException}. Tenant ids appear in logs and exception messages; key material
 * never does.
 *
 * <p><b>Thread safety:</b> safe for concurrent use. No lock shared between tenants is held while a
 * provider or the source is called: a tenant's build, probe and requests take only that tenant's
 * locks, so a slow or revoked tenant never delays another's requests.
 */
public final class TenantRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TenantRegistry.class);

  private final TenantKeySource source;
  private final ProviderPool providers;
  private final Clock clock;
  private final Sleeper sleeper;
  private final DataKeyCacheSettings dataKeyCache;
  private final @Nullable DataKeyLimits dataKeyLimits; // null: the default
  private final double probeSpread;
  private final @Nullable TenantAccessListener listener; // null: none
  private final Executor probeExecutor;
  private final Cache<String, Tenant> tenants;
  private final ConcurrentHashMap<String, Tenant> pinned = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, RefreshRequiredRecord> records =
      new ConcurrentHashMap<>();
  private final List<ExecutorService> owned;
  private final ProbeWheel wheel;
  private final @Nullable ScheduledFuture<?> wheelTask;
  private volatile boolean closed;

  TenantRegistry(TenantRegistryBuilder b, Executor probeExecutor, List<ExecutorService> owned) {
    this.source = b.source;
    this.providers = new ProviderPool(b.providerFactory);
    this.clock = b.clock();
    this.sleeper = b.sleeper();
    this.dataKeyCache = b.dataKeyCache();
    this.dataKeyLimits = b.dataKeyLimits;
    this.probeSpread = b.probeSpread();
    this.listener = b.listener;
    this.probeExecutor = probeExecutor;
    this.owned = owned;
    this.tenants = Caffeine.newBuilder()
        .maximumSize(b.maxTenants())
        .expireAfterAccess(b.idleTimeout())
        .ticker(() -> {
          Instant now = clock.instant();
          return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        })
        .executor(Runnable::run)
        .evictionListener(this::evicted)
        .build();
    this.wheel = new ProbeWheel(clock, probeExecutor, this::probed);
    this.wheelTask = b.manualProbes ? null : b.scheduler().scheduleWithFixedDelay(
        this::probeTickQuietly, 1, 1, TimeUnit.SECONDS);
  }

  /** {@return a new builder} */
  public static TenantRegistryBuilder builder() {
    return new TenantRegistryBuilder();
  }

  // ------------------------------------------------------------------ public API

  /**
   * The tenant's instance, built on first use (which confirms access to its key: a describe, a
   * wrap and an unwrap). Call it per request rather than keeping the result: an evicted tenant's
   * instance keeps working, but is no longer probed and has no cached data keys.
   *
   * @param tenantId the tenant
   * @return the tenant's instance
   * @throws KeyNotFoundException if the source knows no such tenant
   * @throws KeyAccessSuspendedException if the tenant's key needs an explicit {@link #refresh}
   * @throws dev.cmk.api.KeyPolicyViolationException if the tenant's key breaks its policy
   * @throws IllegalStateException if the registry is closed
   * @throws RuntimeException whatever the source or the provider factory throws
   */
  public EnvelopeCrypto crypto(String tenantId) {
    return built(tenant(tenantId));
  }

  /**
   * The tenant's loss-of-access status (building the tenant if it is not resident).
   *
   * @param tenantId the tenant
   * @return the status
   * @throws KeyNotFoundException if the source knows no such tenant
   * @throws IllegalStateException if the registry is closed
   */
  public KeyAccessStatus status(String tenantId) {
    Tenant t = tenant(tenantId);
    if (t.record() != null) {
      return t.record().status();
    }
    EnvelopeCrypto c = built(t);
    Instant at = clock.instant();
    KeyAccessStatus s = c.keyAccess().status();
    t.observe(s, at);
    return s;
  }

  /**
   * Rebuilds the tenant from the source — its current key, provider, policy and settings — and,
   * once the new instance has proved access (describe, wrap and unwrap), puts it in place of the
   * old one. This is the explicit step a tenant needs after its grace period ended, and how a
   * changed key configuration takes effect. On failure the tenant stays as it was.
   *
   * @param tenantId the tenant
   * @return the status after the refresh (available)
   * @throws KeyNotFoundException if the source knows no such tenant
   * @throws dev.cmk.api.KeyPolicyViolationException if the key breaks the policy
   * @throws dev.cmk.api.KeyProviderException if the key is still not accessible
   * @throws IllegalStateException if the registry is closed
   */
  public KeyAccessStatus refresh(String tenantId) {
    checkOpen();
    Objects.requireNonNull(tenantId, "tenantId");
    Tenant fresh = new Tenant(tenantId);
    EnvelopeCrypto c = fresh.crypto(this::build);
    KeyAccessStatus s;
    try {
      s = c.keyAccess().status();
      if (s.state() != KeyAccessState.AVAILABLE) {
        s = c.keyAccess().refresh(); // the provider's own answer (throws when still refused)
      }
      if (s.state() != KeyAccessState.AVAILABLE) {
        throw new KeyAccessSuspendedException("customer-managed key of tenant " + tenantId
            + " is still not accessible (" + s.cause() + ")", false, s.since(), null);
      }
    } catch (RuntimeException e) {
      fresh.close();
      throw e;
    }
    fresh.observe(s, clock.instant());
    Tenant old = tenants.asMap().put(tenantId, fresh);
    Tenant aside = pinned.remove(tenantId);
    records.remove(tenantId);
    closeLater(old, fresh);
    closeLater(aside, fresh);
    LOG.info("event=cmk.tenant.refreshed tenant={} key={}", tenantId, s.configuredKey());
    return s;
  }

  /**
   * What the registry holds, for operators and tests.
   *
   * @param resident tenants kept in the bounded set
   * @param keptForLossOfAccess evicted tenants kept aside because their key is unavailable
   * @param refreshRequired tenants reduced to a refresh-required record
   * @param providers providers made by the factory
   */
  public record Stats(long resident, int keptForLossOfAccess, int refreshRequired, int providers) {}

  /** {@return a snapshot of what the registry holds} */
  public Stats stats() {
    tenants.cleanUp();
    return new Stats(tenants.estimatedSize(), pinned.size(), records.size(), providers.size());
  }

  /**
   * Stops the probe wheel, destroys every tenant's cached data keys, closes the providers the
   * factory made and the executors the registry made. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (wheelTask != null) {
      wheelTask.cancel(false);
    }
    List<Tenant> all = new ArrayList<>(tenants.asMap().values());
    all.addAll(pinned.values());
    tenants.invalidateAll();
    pinned.clear();
    all.forEach(Tenant::close);
    providers.close();
    owned.forEach(ExecutorService::shutdownNow);
  }

  @Override
  public String toString() {
    return "TenantRegistry" + stats();
  }

  // ------------------------------------------------------------------ tenants

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the tenant registry is closed");
    }
  }

  private Tenant tenant(String tenantId) {
    checkOpen();
    Objects.requireNonNull(tenantId, "tenantId");
    return tenants.get(tenantId, this::load);
  }

  /**
   * Runs atomically with the eviction of the same tenant (both inside the map's computation for
   * its id), so a tenant kept aside or recorded is always found here; never calls a provider.
   */
  private Tenant load(String tenantId) {
    Tenant aside = pinned.remove(tenantId);
    if (aside != null) {
      return aside;
    }
    RefreshRequiredRecord r = records.get(tenantId);
    return r != null ? new Tenant(tenantId, r) : new Tenant(tenantId);
  }

  private EnvelopeCrypto built(Tenant t) {
    try {
      return t.crypto(this::build);
    } catch (RuntimeException e) {
      if (t.record() == null && t.builtOrNull() == null) {
        tenants.asMap().remove(t.id, t); // nothing to keep: the next use tries again
      }
      throw e;
    }
  }

  /** Builds a tenant's instance (under that tenant's own lock only). */
  private EnvelopeCrypto build(Tenant t) {
    TenantKeys keys = source.lookup(t.id).orElseThrow(
        () -> new KeyNotFoundException("no key is configured for tenant " + t.id, null));
    KeyAccessSettings access = ProbeSpread.of(t.id, keys.keyAccess(), probeSpread);
    t.settings(access);
    Map<String, List<KeyReference>> byProvider = new LinkedHashMap<>();
    byProvider.computeIfAbsent(keys.provider(), n -> new ArrayList<>()).add(keys.key());
    List<KeyReference> decryptOnly = new ArrayList<>();
    for (TenantKeys.ProviderKey k : keys.decryptOnly()) {
      byProvider.computeIfAbsent(k.provider(), n -> new ArrayList<>()).add(k.key());
      decryptOnly.add(k.key());
    }
    EnvelopeCryptoBuilder b = EnvelopeCrypto.builder();
    KeyConfiguration write = null;
    for (Map.Entry<String, List<KeyReference>> e : byProvider.entrySet()) {
      ScopedProvider p = new ScopedProvider(providers.get(e.getKey()), e.getValue());
      if (write == null) {
        write = new KeyConfiguration(p, keys.key());
      } else {
        b.provider(p);
      }
    }
    KeyConfiguration configured = write;
    b.keyConfiguration(() -> configured).keyPolicy(keys.policy()).keyAccess(access)
        .clock(clock).sleeper(sleeper).dataKeyCache(dataKeyCache)
        .listener(t::onEvent);
    if (!decryptOnly.isEmpty()) {
      b.decryptOnlyKeys(decryptOnly);
    }
    if (dataKeyLimits != null) {
      b.dataKeyLimits(dataKeyLimits);
    }
    if (listener != null) {
      TenantAccessListener l = listener;
      String id = t.id;
      b.listener(event -> l.onEvent(id, event));
    }
    Instant at = clock.instant();
    EnvelopeCrypto c = b.build();
    t.observe(c.keyAccess().status(), at);
    return c;
  }

  /**
   * Caffeine's eviction, atomic with the removal of the entry (no provider call here): a tenant
   * without access is kept aside or recorded, the rest is closed in the background.
   */
  private void evicted(String tenantId, Tenant t, RemovalCause cause) {
    if (t == null || t.record() != null) {
      return; // a record stays in `records` until a refresh
    }
    KeyAccessState s = t.lastKnownState();
    if (s == KeyAccessState.UNAVAILABLE && !closed) {
      Tenant before = pinned.put(tenantId, t);
      closeLater(before, t);
      LOG.info("event=cmk.tenant.kept-unavailable tenant={} cause={}", tenantId, cause);
      return;
    }
    if (s == KeyAccessState.REFRESH_REQUIRED) {
      records.put(tenantId, RefreshRequiredRecord.of(t.lastKnown()));
      LOG.info("event=cmk.tenant.recorded-refresh-required tenant={}", tenantId);
    }
    closeLater(t, null);
  }

  /** Closes {@code t} (unless it is {@code keep}) off the caller's thread. */
  private void closeLater(@Nullable Tenant t, @Nullable Tenant keep) {
    if (t == null || t == keep) {
      return;
    }
    try {
      probeExecutor.execute(t::close);
    } catch (RejectedExecutionException e) {
      t.close();
    }
  }

  // ------------------------------------------------------------------ probe wheel

  private void probeTickQuietly() {
    try {
      probeTick();
    } catch (RuntimeException e) {
      LOG.warn("event=cmk.tenant.probe-wheel-failed error=\"{}\"", e.toString());
    }
  }

  /**
   * One turn of the wheel over the resident tenants and those kept aside. Package-private: tests
   * with a manual clock turn it.
   */
  void probeTick() {
    if (closed) {
      return;
    }
    tenants.cleanUp(); // idle eviction happens even without traffic
    wheel.turn(List.of(tenants.asMap().values(), pinned.values()));
  }

  /** After a probe: a tenant kept aside may now be dropped or recorded. */
  private void probed(Tenant t, KeyAccessStatus s) {
    if (pinned.get(t.id) == t) {
      settleAside(t, s);
    }
  }

  /** A tenant kept aside: dropped once it recovered, recorded once it needs a refresh. */
  private void settleAside(Tenant t, KeyAccessStatus s) {
    if (s.state() == KeyAccessState.AVAILABLE) {
      if (pinned.remove(t.id, t)) {
        t.close(); // recovered while evicted: rebuilt on its next use
      }
    } else if (s.state() == KeyAccessState.REFRESH_REQUIRED) {
      records.put(t.id, RefreshRequiredRecord.of(s)); // first, so a load always finds one
      if (pinned.remove(t.id, t)) {
        t.close();
      }
      LOG.info("event=cmk.tenant.recorded-refresh-required tenant={}", t.id);
    }
  }
}
