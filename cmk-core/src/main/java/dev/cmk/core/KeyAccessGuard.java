package dev.cmk.core;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.internal.KeyAccess;
import dev.cmk.core.internal.KeyVersionId;
import dev.cmk.core.internal.ProviderCalls;
import dev.cmk.core.internal.Providers;
import dev.cmk.core.internal.VersionWatch;
import dev.cmk.core.fleet.FleetStateStore;
import dev.cmk.core.fleet.FleetView;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The loss-of-access guard: decides whether the customer-managed key may be used right now, and
 * reproduces the Azure Health Data Services contract when it may not.
 *
 * <ul>
 *   <li><b>Available</b>: operations run. The configured key's enabled state (and, for a
 *       versionless key, its latest version) is re-confirmed with the provider at least every
 *       {@link KeyAccessSettings#probeInterval() probe interval}; writes are refused unless that
 *       confirmation is fresh. Every other key version behind a cached data key (older versions,
 *       keys of other vaults, every version on a decrypt-only instance) is re-confirmed on the
 *       same interval before its cached data keys serve again.
 *   <li><b>Unavailable</b>: entered at once on an authoritative denial of the configured key
 *       (disabled, deleted, expired, identity forbidden), or when transient failures persisted
 *       past {@link KeyAccessSettings#transientTripThreshold()} (checked on every operation; a
 *       {@code Retry-After} never delays a probe beyond {@link
 *       KeyAccessSettings#probeBackoffMax()}). Every operation fails fast with {@link
 *       KeyAccessSuspendedException} (servers answer HTTP 500) without calling the provider; a
 *       probe re-checks access with backoff. On an authoritative denial every cached plaintext
 *       data key is destroyed.
 *   <li><b>Refresh required</b>: entered when the {@link KeyAccessSettings#gracePeriod() grace
 *       period} (30 minutes) has passed since access was found lost <em>and</em> one more probe,
 *       made at the deadline whatever the backoff says, still fails. The guard stays so until the
 *       application calls {@link #refresh()}.
 * </ul>
 *
 * <p><b>Bounds</b> (P = probe interval, G = grace period; with a guarded call or {@link
 * #probeIfDue()} at least every second — see README "Loss of access, in detail"): a confirmation
 * is a describe and an unwrap of a canary, renewed when it is {@link
 * KeyAccessSettings#reconfirmAfter()} old; a disable (or a lost "unwrap" permission) is refused
 * within P of the customer's action (reads and writes); access restored within G of the actual
 * loss always recovers by itself (the deadline probe is retried for {@code probeBackoffMax} if the
 * vault fails transiently); access lost for longer than G + P always needs {@link #refresh()}. An
 * envelope naming a key, version or algorithm the identity may not use fails that request only:
 * the configured key is re-checked by a probe (at most every 5 seconds) and only its own refusal
 * trips the guard.
 *
 * <p><b>Replicas and restarts:</b> with a {@link FleetStateStore} (see {@link
 * EnvelopeCryptoBuilder#fleetState}) the state is the service's, not the process's: a loss is
 * recorded with its start (replicas agree on the first recorded start), "refresh required" and
 * every explicit refresh (a new generation) are recorded, and each instance reads the record at
 * most once per probe interval and adopts a stricter state or a newer generation. An instance
 * started while the fleet requires a refresh starts so, without a provider call; one that
 * cannot read the store at start refuses requests until it can. A store outage never makes a
 * key available; an explicit refresh fails if it cannot be recorded.
 *
 * <p><b>Security guarantees:</b> no key bytes or plaintext appear in events, logs or exception
 * messages produced here; error texts are the providers' (which carry none either).
 *
 * <p><b>Thread safety:</b> safe for concurrent use; state changes are serialized, probes are
 * single-flight, and cached data keys are destroyed outside the guard's lock.
 */
public final class KeyAccessGuard {
  private static final Duration MIN_TRIGGERED_PROBE_SPACING = Duration.ofSeconds(5);

  private final Clock clock;
  private final KeyAccessSettings settings;
  private final Supplier<KeyConfiguration> configuration;
  private final Providers providers;
  private final GuardEvents events;
  private final VersionWatch watch;
  private final GuardMachine machine;
  private final GuardedAccess access;
  // guarded by this: re-check after another key's denial
  private @Nullable Instant lastTriggeredCheck;

  KeyAccessGuard(
      Clock clock,
      KeyAccessSettings settings,
      Supplier<KeyConfiguration> configuration,
      Providers providers,
      Runnable purgeDataKeys,
      List<KeyAccessListener> listeners,
      KeyVersionInventory inventory,
      ProviderCalls calls,
      KeyConfirmation confirmation,
      VersionWatch watch,
      FleetStateStore fleetStore,
      String replicaName) {
    this.clock = clock;
    this.settings = settings;
    this.configuration = configuration;
    this.providers = providers;
    this.events = new GuardEvents(listeners, purgeDataKeys);
    this.watch = watch;
    VersionReports reports = new VersionReports(settings, inventory, watch, events);
    watch.observer(reports);
    this.machine = new GuardMachine(settings, calls, confirmation, reports,
        new FleetSync(fleetStore, replicaName, settings), clock.instant());
    this.access = new GuardedAccess(this, clock, settings, providers, calls, watch, inventory);
  }

  // ------------------------------------------------------------------ public API

  /**
   * The current status. When the grace period has ended this runs the deadline probe first, so
   * the answer is {@code REFRESH_REQUIRED} only if access is still lost.
   *
   * @return the status
   */
  public KeyAccessStatus status() {
    GuardState s = locked(machine::expireGrace);
    return s.toStatus(clock.instant(), settings, configuredKeyOrNull());
  }

  /**
   * Re-reads the key configuration (key reference and provider, i.e. identity), checks the key
   * against the policy, proves access with a trial wrap and unwrap, and reopens the guard. This
   * is the explicit step needed after the grace period; it is also how a configuration change
   * takes effect. With a fleet store the refresh is recorded as a new generation, which every
   * replica follows within one probe interval.
   *
   * @return the status after the refresh
   * @throws IllegalStateException if the instance has no write key (nothing to refresh)
   * @throws dev.cmk.api.KeyPolicyViolationException if the key breaks the policy (the guard stays as it was)
   * @throws KeyProviderException if the key is still not accessible (the guard stays closed)
   * @throws dev.cmk.core.fleet.FleetStateUnavailableException if the fleet store cannot record
   *     the refresh (the guard stays as it was)
   */
  public KeyAccessStatus refresh() {
    locked((now, pending) -> {
      machine.refresh(reload(), now, pending);
      return null;
    });
    return status();
  }

  /**
   * Runs a probe if one is due: while available, when the last confirmation is older than the
   * probe interval; while unavailable, when the backoff says so, and always at the end of the
   * grace period. With a fleet store it also reads the fleet's record when due. Call it from a
   * scheduler to keep confirmations fresh without making requests wait.
   */
  public void probeIfDue() {
    locked((now, pending) -> {
      advance(now, pending);
      return null;
    });
  }

  /** {@return the configured key reference, when this instance writes} */
  public Optional<KeyReference> configuredKey() {
    return Optional.ofNullable(configuredKeyOrNull());
  }

  /**
   * What this instance knows of the fleet's shared state, when a {@link FleetStateStore} is
   * configured and this instance writes.
   *
   * @return the view, or empty without a fleet store
   */
  public synchronized Optional<FleetView> fleetView() {
    FleetSync f = machine.fleet();
    return f.enabled() && machine.config() != null ? Optional.of(f.view()) : Optional.empty();
  }

  // ------------------------------------------------------------------ lifecycle (package)

  /**
   * First check at build time: policy violations are configuration errors and throw; unreachable
   * or denied keys start the guard unavailable (servers start and answer 500 until it recovers).
   */
  void initialize() {
    if (configuration == null) {
      return;
    }
    locked((now, pending) -> {
      KeyConfiguration c = configuration.get();
      providers.add(c.provider());
      machine.start(c, now, pending);
      return null;
    });
  }

  KeyAccess access() {
    return access;
  }

  /** Whether this instance has a write key (else it only decrypts). */
  boolean writes() {
    return configuration != null;
  }

  /** The provider writes go through (after the last refresh). */
  KeyEncryptionKeyProvider configuredProvider() {
    KeyConfiguration c = machine.config();
    if (c == null) {
      throw new IllegalStateException("no write key configured: this instance only decrypts");
    }
    return c.provider();
  }

  private @Nullable KeyReference configuredKeyOrNull() {
    KeyConfiguration c = machine.config();
    return c == null ? null : c.key();
  }

  /** Re-reads the configuration and makes its provider and key reachable (under the lock). */
  private KeyConfiguration reload() {
    KeyConfiguration current = machine.config();
    KeyConfiguration next = configuration == null ? current : configuration.get();
    if (next == null) {
      throw new IllegalStateException("no write key configured: nothing to refresh");
    }
    providers.add(next.provider());
    providers.restore(next.key()); // the write key is never retired
    if (current != null && !current.key().sameKeyAs(next.key())) {
      providers.keepReadable(current.key()); // old envelopes stay readable until retired
    }
    return next;
  }

  /** One step of the machine: start retry, fleet read, deadline, due probe (under the lock). */
  private GuardState advance(Instant now, GuardEvents.Pending pending) {
    machine.retryStartIfDue(now, pending);
    if (machine.config() == null) {
      return machine.state();
    }
    machine.syncIfDue(now, pending, this::reload);
    GuardState s = machine.expireGrace(now, pending);
    if (s.kind() == KeyAccessState.REFRESH_REQUIRED
        || s.cause() == LossCause.FLEET_STATE_UNKNOWN) {
      return s;
    }
    machine.tripIfTransientTooLong(now, pending);
    if (machine.state().probeDue(now, settings)) {
      machine.probe(now, pending);
    }
    return machine.expireGrace(now, pending);
  }

  /** A step under the lock, its events published after the lock is released. */
  private interface Step<T> {
    T run(Instant now, GuardEvents.Pending pending);
  }

  private <T> T locked(Step<T> step) {
    GuardEvents.Pending pending = new GuardEvents.Pending();
    try {
      synchronized (this) {
        return step.run(clock.instant(), pending);
      }
    } finally {
      events.publish(pending);
    }
  }

  // ------------------------------------------------------------------ the engine's view

  /**
   * Ensures the guard is available (running a due probe first), for reads ({@code
   * forWrite=false}: transient trouble below the trip threshold still lets cached keys serve) or
   * writes (a fresh confirmation is required).
   */
  GuardState ensureAvailable(boolean forWrite) {
    GuardState s = machine.state();
    if (s.kind() == KeyAccessState.AVAILABLE
        && (machine.config() == null || !s.confirmationStale(clock.instant(), settings))) {
      return s;
    }
    return locked((now, pending) -> {
      GuardState after = advance(now, pending);
      if (after.kind() != KeyAccessState.AVAILABLE) {
        throw suspended(after, null);
      }
      if (forWrite && after.confirmationStale(now, settings)) {
        throw new KeyProviderUnavailableException(
            "the key's enabled state could not be confirmed within the probe interval; "
                + "refusing to write"
                + (after.lastError() == null ? "" : " (" + after.lastError() + ")"),
            machine.config().key(), null);
      }
      return after;
    });
  }

  /**
   * Strict writes: confirms the write key now, before a new data key is wrapped under it. Never
   * leaves UNAVAILABLE or REFRESH_REQUIRED by itself (only probes and refresh() do).
   */
  KeyReference confirmNow() {
    return locked((now, pending) -> {
      machine.syncIfDue(now, pending, this::reload); // strict writes never take the fast path
      GuardState s = machine.expireGrace(now, pending);
      if (s.kind() != KeyAccessState.AVAILABLE) {
        throw suspended(s, null);
      }
      if (machine.probe(now, pending) != GuardMachine.Outcome.CONFIRMED) {
        GuardState after = machine.state();
        throw after.kind() != KeyAccessState.AVAILABLE ? suspended(after, null)
            : new KeyProviderUnavailableException("strict writes: the key's enabled state "
                + "could not be confirmed now" + (after.lastError() == null ? "" : " ("
                + after.lastError() + ")"), machine.config().key(), null);
      }
      return machine.state().currentVersion();
    });
  }

  boolean isCurrentWriteVersion(KeyVersionId version, GuardState s) {
    KeyConfiguration c = machine.config();
    return c != null && s.currentVersion() != null
        && version.providerId().equals(c.provider().id())
        && version.reference().equals(s.currentVersion().toString());
  }

  private KeyAccessSuspendedException suspended(GuardState s, @Nullable Throwable cause) {
    return s.suspended(machine.keyText(), settings, cause);
  }

  /** A successful unwrap under {@code version}: ends a transient streak if it is the write version. */
  void unwrapSucceeded(KeyVersionId version) {
    GuardState s = machine.state();
    if (s.transientSince() != null && isCurrentWriteVersion(version, s)) {
      synchronized (this) {
        machine.clearStreak();
      }
    }
  }

  /** A wrap failed: it always concerns the configured key. */
  RuntimeException writeFailed(KeyProviderException e) {
    return locked((now, pending) -> {
      if (!e.isAuthoritative()) {
        machine.transientFailure(e, now, pending);
      } else if (machine.state().kind() == KeyAccessState.AVAILABLE) {
        machine.trip(LossCause.of(e), e.getMessage(), now, now, pending);
      }
      GuardState after = machine.state();
      return after.kind() == KeyAccessState.AVAILABLE ? e : suspended(after, e);
    });
  }

  /**
   * An unwrap failed (called outside every cache lock). An envelope chooses its version, wrapped
   * bytes and algorithm, so one refusal proves nothing about a key: it fails this request, repeats
   * of the same wrapped key are refused without a provider call for a back-off period, a watched
   * version is re-checked through its own known-good sample, and the configured key through the
   * guard's own probe (describe + canary unwrap, at most every 5 seconds). Only those checks can
   * trip the guard or make a version unusable.
   */
  RuntimeException readFailed(WrappedKey wrapped, KeyProviderException e) {
    return locked((now, pending) -> {
      boolean writes = machine.config() != null;
      if (writes) {
        machine.syncIfDue(now, pending, this::reload);
      }
      GuardState s = machine.state();
      if (!e.isAuthoritative()) {
        if (writes) {
          machine.transientFailure(e, now, pending);
        }
      } else {
        if (wrapped != null) {
          KeyVersionId version = KeyVersionId.of(wrapped);
          pending.after(() -> watch.refusedEnvelope(wrapped, e));
          if (!isCurrentWriteVersion(version, s)) {
            pending.after(() -> watch.suspect(version));
          }
        }
        if (writes && s.kind() == KeyAccessState.AVAILABLE && (lastTriggeredCheck == null
            || !now.isBefore(lastTriggeredCheck.plus(MIN_TRIGGERED_PROBE_SPACING)))) {
          lastTriggeredCheck = now;
          machine.probe(now, pending); // does the denial concern the configured key?
        }
      }
      GuardState after = machine.state();
      return after.kind() == KeyAccessState.AVAILABLE ? e : suspended(after, e);
    });
  }

  @Override
  public String toString() {
    GuardState s = machine.state();
    return "KeyAccessGuard[" + s.kind() + " since " + s.since() + ", cause " + s.cause() + "]";
  }
}
