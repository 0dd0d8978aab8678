package dev.cmk.core;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyPolicyViolationException;
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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p><b>Security guarantees:</b> no key bytes or plaintext appear in events, logs or exception
 * messages produced here; error texts are the providers' (which carry none either).
 *
 * <p><b>Thread safety:</b> safe for concurrent use; state changes are serialized, probes are
 * single-flight, and cached data keys are destroyed outside the guard's lock.
 */
public final class KeyAccessGuard {
  private static final Logger LOG = LoggerFactory.getLogger(KeyAccessGuard.class);
  private static final Duration MIN_TRIGGERED_PROBE_SPACING = Duration.ofSeconds(5);
  /** How late after the grace deadline the deadline probe may still run (see expireGrace). */
  private static final Duration DEADLINE_PROBE_TOLERANCE = Duration.ofSeconds(1);

  private final Clock clock;
  private final KeyAccessSettings settings;
  private final Supplier<KeyConfiguration> configuration;
  private final Providers providers;
  private final GuardEvents events;
  private final ProviderCalls calls;
  private final KeyConfirmation confirmation;
  private final VersionWatch watch;
  private final VersionReports reports;
  private final GuardedAccess access;

  private volatile GuardState state;
  private volatile KeyConfiguration config; // written under the lock
  private Instant lastTriggeredCheck; // guarded by this: re-check after another key's denial
  private KeyConfirmation.Canary canary; // guarded by this: unwrapped by every probe
  private Instant deadlineRetryOf; // guarded by this: the loss whose deadline probe failed transiently

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
      VersionWatch watch) {
    this.clock = clock;
    this.settings = settings;
    this.configuration = configuration;
    this.providers = providers;
    this.events = new GuardEvents(listeners, purgeDataKeys);
    this.calls = calls;
    this.confirmation = confirmation;
    this.watch = watch;
    this.state = GuardState.initial(clock.instant(), settings);
    this.reports = new VersionReports(settings, inventory, watch, events);
    watch.observer(reports);
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
    GuardEvents.Pending pending = new GuardEvents.Pending();
    GuardState s;
    synchronized (this) {
      s = expireGrace(clock.instant(), pending);
    }
    events.publish(pending);
    return s.toStatus(clock.instant(), settings, configuredKeyOrNull());
  }

  /**
   * Re-reads the key configuration (key reference and provider, i.e. identity), checks the key
   * against the policy, proves access with a trial wrap and unwrap, and reopens the guard. This
   * is the explicit step needed after the grace period; it is also how a configuration change
   * takes effect.
   *
   * @return the status after the refresh
   * @throws IllegalStateException if the instance has no write key (nothing to refresh)
   * @throws KeyPolicyViolationException if the key breaks the policy (the guard stays as it was)
   * @throws KeyProviderException if the key is still not accessible (the guard stays closed)
   */
  public KeyAccessStatus refresh() {
    GuardEvents.Pending pending = new GuardEvents.Pending();
    try {
      synchronized (this) {
        Instant now = clock.instant();
        KeyConfiguration next = configuration == null ? config : configuration.get();
        if (next == null) {
          throw new IllegalStateException("no write key configured: nothing to refresh");
        }
        providers.add(next.provider());
        providers.restore(next.key()); // the write key is never retired
        if (config != null && !config.key().sameKeyAs(next.key())) {
          providers.keepReadable(config.key()); // old envelopes stay readable until retired
        }
        config = next;
        GuardState s = state;
        KeyReference version;
        try {
          version = confirmation.confirm(next, s.currentVersion(), now, pending.events);
          canary = confirmation.trialRoundTrip(next.provider(), version);
        } catch (KeyProviderException e) {
          if (s.kind() == KeyAccessState.AVAILABLE) {
            trip(causeOf(e), e.getMessage(), now, now, pending);
          }
          throw e;
        }
        setAvailable(version, now, pending);
        LOG.info("event=cmk.key.refreshed key={} version={}", next.key(), version);
      }
    } finally {
      events.publish(pending);
    }
    return status();
  }

  /**
   * Runs a probe if one is due: while available, when the last confirmation is older than the
   * probe interval; while unavailable, when the backoff says so, and always at the end of the
   * grace period. Call it from a scheduler to keep confirmations fresh without making requests
   * wait.
   */
  public void probeIfDue() {
    GuardEvents.Pending pending = new GuardEvents.Pending();
    try {
      synchronized (this) {
        Instant now = clock.instant();
        GuardState s = expireGrace(now, pending);
        if (config == null || s.kind() == KeyAccessState.REFRESH_REQUIRED) {
          return;
        }
        if (s.probeDue(now, settings)) {
          probe(now, pending);
        }
      }
    } finally {
      events.publish(pending);
    }
  }

  /** {@return the configured key reference, when this instance writes} */
  public synchronized Optional<KeyReference> configuredKey() {
    return Optional.ofNullable(config).map(KeyConfiguration::key);
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
    GuardEvents.Pending pending = new GuardEvents.Pending();
    try {
      synchronized (this) {
        config = configuration.get();
        providers.add(config.provider());
        Instant now = clock.instant();
        try {
          KeyReference version = confirmation.confirm(config, null, now, pending.events);
          canary = confirmation.trialRoundTrip(config.provider(), version);
          setAvailable(version, now, pending);
        } catch (KeyProviderException e) {
          trip(causeOf(e), e.getMessage(), now, now, pending);
        }
      }
    } finally {
      events.publish(pending);
    }
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
    KeyConfiguration c = config;
    if (c == null) {
      throw new IllegalStateException("no write key configured: this instance only decrypts");
    }
    return c.provider();
  }

  private KeyReference configuredKeyOrNull() {
    KeyConfiguration c = config;
    return c == null ? null : c.key();
  }

  // ------------------------------------------------------------------ state machine (under lock)

  /**
   * At the end of the grace period: one more probe, whatever the backoff says; only if it is
   * refused does the guard require a refresh. A transient failure of that probe is retried (every
   * {@link KeyAccessSettings#probeBackoffMin()}) until {@link KeyAccessSettings#probeBackoffMax()}
   * after the deadline, so a blip of the vault at the deadline cannot lock a key restored in time.
   */
  private GuardState expireGrace(Instant now, GuardEvents.Pending pending) {
    GuardState s = state;
    if (s.kind() != KeyAccessState.UNAVAILABLE || s.withinGrace(now, settings)) {
      return s;
    }
    Instant deadline = s.since().plus(settings.gracePeriod());
    boolean retrying = s.since().equals(deadlineRetryOf)
        && now.isBefore(deadline.plus(settings.probeBackoffMax()));
    // The deadline probe counts only when it runs at the deadline: a probe long after it could
    // not tell whether access came back in time, so the stricter answer stands.
    boolean first = !s.since().equals(deadlineRetryOf)
        && now.isBefore(deadline.plus(DEADLINE_PROBE_TOLERANCE));
    if (config != null && (first || retrying)) {
      if (retrying && now.isBefore(s.lastProbeAt().plus(settings.probeBackoffMin()))) {
        return s; // wait for the next retry
      }
      Outcome outcome = probe(now, pending);
      if (outcome == Outcome.CONFIRMED) {
        LOG.info("event=cmk.key.recovered-at-deadline key={} lostSince={}", configKeyText(),
            s.since());
        return state;
      }
      if (outcome == Outcome.TRANSIENT
          && now.isBefore(deadline.plus(settings.probeBackoffMax()))) {
        deadlineRetryOf = s.since();
        return state;
      }
      s = state;
    }
    GuardState locked = s.refreshRequired();
    transition(s, locked, now, pending);
    LOG.error("event=cmk.key.refresh-required key={} cause={} since={}",
        configKeyText(), s.cause(), s.since());
    return locked;
  }

  /** What a probe found. */
  private enum Outcome { CONFIRMED, DENIED, TRANSIENT }

  /**
   * Probe: describes the configured key (policy, rotation) and unwraps the canary under the write
   * version (a new canary after a rotation or while unavailable), so a confirmation proves the
   * identity may still unwrap; recovers if unavailable.
   */
  private Outcome probe(Instant now, GuardEvents.Pending pending) {
    GuardState s = state;
    try {
      KeyReference version =
          confirmation.confirm(config, s.currentVersion(), now, pending.events);
      KeyConfirmation.Canary c = canary;
      if (s.kind() != KeyAccessState.AVAILABLE || c == null || !c.version().equals(version)) {
        canary = confirmation.trialRoundTrip(config.provider(), version);
      } else {
        confirmation.check(config.provider(), c);
      }
      setAvailable(version, now, pending);
      reports.checkRecentlyUsed(config, version, now, pending);
      return Outcome.CONFIRMED;
    } catch (KeyProviderException e) {
      if (!e.isAuthoritative()) {
        transientFailure(e, now, pending);
        return Outcome.TRANSIENT;
      } else if (s.kind() == KeyAccessState.AVAILABLE) {
        trip(causeOf(e), e.getMessage(), now, now, pending);
      } else {
        state = s.backedOff(causeOf(e), e.getMessage(), now, settings);
      }
      return Outcome.DENIED;
    }
  }

  private void setAvailable(KeyReference version, Instant now, GuardEvents.Pending pending) {
    GuardState s = state;
    if (s.currentVersion() == null || !s.currentVersion().equals(version)) {
      pending.add(new KeyAccessEvent.RotationPickedUp(now, s.currentVersion(), version));
      LOG.info("event=cmk.key.rotation-picked-up key={} from={} to={}", configKeyText(),
          s.currentVersion(), version);
    }
    transition(s, s.confirmed(version, now, settings), now, pending);
  }

  private static LossCause causeOf(KeyProviderException e) {
    return e.getCause() instanceof KeyPolicyViolationException
        ? LossCause.POLICY_VIOLATION
        : LossCause.of(e);
  }

  private void trip(LossCause cause, String error, Instant since, Instant now, GuardEvents.Pending pending) {
    GuardState s = state;
    transition(s, s.lost(cause, error, since, now, settings), now, pending);
    LOG.error("event=cmk.key.unavailable key={} cause={} error=\"{}\"", configKeyText(), cause,
        error);
    if (cause.isAuthoritative()) {
      // The purge itself runs in publish(), outside this lock (lock ordering with the data-key
      // holders); the state is already UNAVAILABLE, so no read can use a cached key meanwhile.
      pending.add(new KeyAccessEvent.DataKeysPurged(now, cause));
    }
  }

  private void transientFailure(KeyProviderException e, Instant now, GuardEvents.Pending pending) {
    GuardState s = state;
    if (s.kind() != KeyAccessState.AVAILABLE) {
      state = s.backedOff(LossCause.PROVIDER_UNAVAILABLE, e.getMessage(), now, settings);
      return;
    }
    GuardState streak = s.transientStreak(e.getMessage(), now,
        now.plus(calls.nextProbeDelay(e, settings.probeBackoffMin())));
    LOG.warn("event=cmk.key.transient-failure key={} since={} error=\"{}\"", configKeyText(),
        streak.transientSince(), e.getMessage());
    state = streak;
    tripIfTransientTooLong(now, pending);
  }

  /**
   * Trips when transient failures have kept the key unconfirmed for longer than probe interval +
   * trip threshold; checked on every operation, so throttling cannot postpone it.
   */
  private void tripIfTransientTooLong(Instant now, GuardEvents.Pending pending) {
    GuardState s = state;
    if (config != null && s.unconfirmedTooLong(now, settings)) {
      trip(LossCause.PROVIDER_UNAVAILABLE, s.lastError(), s.transientSince(), now, pending);
    }
  }

  private void transition(GuardState from, GuardState to, Instant now, GuardEvents.Pending pending) {
    state = to;
    if (from.kind() != to.kind()) {
      KeyReference key = configuredKeyOrNull();
      pending.add(new KeyAccessEvent.StateChanged(now,
          from.toStatus(now, settings, key), to.toStatus(now, settings, key)));
      LOG.info("event=cmk.key.state-changed key={} from={} to={} cause={}", configKeyText(),
          from.kind(), to.kind(), to.cause());
    }
  }

  private String configKeyText() {
    KeyConfiguration c = config;
    return c == null ? "-" : c.key().toString();
  }

  private KeyAccessSuspendedException suspended(GuardState s, Throwable cause) {
    return s.suspended(configKeyText(), settings, cause);
  }

  // ------------------------------------------------------------------ the engine's view

  /**
   * Ensures the guard is available (running a due probe first), for reads ({@code
   * forWrite=false}: transient trouble below the trip threshold still lets cached keys serve) or
   * writes (a fresh confirmation is required).
   */
  GuardState ensureAvailable(boolean forWrite) {
    Instant now = clock.instant();
    GuardState s = state;
    if (s.kind() == KeyAccessState.AVAILABLE
        && (config == null || !s.confirmationStale(now, settings))) {
      return s;
    }
    GuardEvents.Pending pending = new GuardEvents.Pending();
    try {
      synchronized (this) {
        now = clock.instant();
        s = expireGrace(now, pending);
        if (config != null) {
          tripIfTransientTooLong(now, pending);
          if (state.probeDue(now, settings)) {
            probe(now, pending);
          }
          s = expireGrace(now, pending);
        }
        if (s.kind() != KeyAccessState.AVAILABLE) {
          throw suspended(s, null);
        }
        if (forWrite && s.confirmationStale(now, settings)) {
          throw new KeyProviderUnavailableException(
              "the key's enabled state could not be confirmed within the probe interval; "
                  + "refusing to write" + (s.lastError() == null ? "" : " (" + s.lastError() + ")"),
              config.key(), null);
        }
        return s;
      }
    } finally {
      events.publish(pending);
    }
  }

  /**
   * Strict writes: confirms the write key now, before a new data key is wrapped under it. Never
   * leaves UNAVAILABLE or REFRESH_REQUIRED by itself (only probes and refresh() do).
   */
  KeyReference confirmNow() {
    GuardEvents.Pending pending = new GuardEvents.Pending();
    try {
      synchronized (this) {
        Instant now = clock.instant();
        GuardState s = expireGrace(now, pending);
        if (s.kind() != KeyAccessState.AVAILABLE) {
          throw suspended(s, null);
        }
        if (probe(now, pending) != Outcome.CONFIRMED) {
          GuardState after = state;
          throw after.kind() != KeyAccessState.AVAILABLE ? suspended(after, null)
              : new KeyProviderUnavailableException("strict writes: the key's enabled state "
                  + "could not be confirmed now" + (after.lastError() == null ? "" : " ("
                  + after.lastError() + ")"), config.key(), null);
        }
        return state.currentVersion();
      }
    } finally {
      events.publish(pending);
    }
  }

  boolean isCurrentWriteVersion(KeyVersionId version, GuardState s) {
    KeyConfiguration c = config;
    return c != null && s.currentVersion() != null
        && version.providerId().equals(c.provider().id())
        && version.reference().equals(s.currentVersion().toString());
  }

  /** A successful unwrap under {@code version}: ends a transient streak if it is the write version. */
  void unwrapSucceeded(KeyVersionId version) {
    if (state.transientSince() != null && isCurrentWriteVersion(version, state)) {
      synchronized (this) {
        GuardState s = state;
        if (s.transientSince() != null) {
          state = s.streakCleared();
        }
      }
    }
  }

  /** A wrap failed: it always concerns the configured key. */
  RuntimeException writeFailed(KeyProviderException e) {
    GuardEvents.Pending pending = new GuardEvents.Pending();
    try {
      synchronized (this) {
        Instant now = clock.instant();
        if (!e.isAuthoritative()) {
          transientFailure(e, now, pending);
        } else if (state.kind() == KeyAccessState.AVAILABLE) {
          trip(causeOf(e), e.getMessage(), now, now, pending);
        }
        GuardState after = state;
        return after.kind() == KeyAccessState.AVAILABLE ? e : suspended(after, e);
      }
    } finally {
      events.publish(pending);
    }
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
    GuardEvents.Pending pending = new GuardEvents.Pending();
    try {
      synchronized (this) {
        Instant now = clock.instant();
        GuardState s = state;
        if (!e.isAuthoritative()) {
          if (config != null) {
            transientFailure(e, now, pending);
          }
        } else {
          if (wrapped != null) {
            KeyVersionId version = KeyVersionId.of(wrapped);
            pending.after(() -> watch.refusedEnvelope(wrapped, e));
            if (!isCurrentWriteVersion(version, s)) {
              pending.after(() -> watch.suspect(version));
            }
          }
          if (config != null && s.kind() == KeyAccessState.AVAILABLE && (lastTriggeredCheck == null
              || !now.isBefore(lastTriggeredCheck.plus(MIN_TRIGGERED_PROBE_SPACING)))) {
            lastTriggeredCheck = now;
            probe(now, pending); // does the denial concern the configured key?
          }
        }
        GuardState after = state;
        return after.kind() == KeyAccessState.AVAILABLE ? e : suspended(after, e);
      }
    } finally {
      events.publish(pending);
    }
  }

  @Override
  public String toString() {
    GuardState s = state;
    return "KeyAccessGuard[" + s.kind() + " since " + s.since() + ", cause " + s.cause() + "]";
  }
}
