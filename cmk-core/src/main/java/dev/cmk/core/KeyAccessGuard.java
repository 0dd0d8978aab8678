package dev.cmk.core;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
 * #probeIfDue()} at least every second — see README "Loss of access, in detail"): a disable is
 * refused within P of the customer's action (reads and writes); access restored within G of the
 * actual loss always recovers by itself; access lost for longer than G + P always needs {@link
 * #refresh()}. An envelope naming a key or version the identity may not use fails that request
 * only: the configured key is re-checked (at most every 5 seconds) and only its own denial trips
 * the guard.
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
  static final Duration DEADLINE_PROBE_TOLERANCE = Duration.ofSeconds(1);

  private final Clock clock;
  private final KeyAccessSettings settings;
  private final Supplier<KeyConfiguration> configuration;
  private final Providers providers;
  private final Runnable purgeDataKeys;
  private final List<KeyAccessListener> listeners;
  private final KeyVersionInventory inventory;
  private final ProviderCalls calls;
  private final KeyConfirmation confirmation;
  private final VersionWatch watch;
  private final Access access = new Access();

  private volatile GuardState state;
  private volatile KeyConfiguration config; // written under the lock
  private final Set<String> reportedUnavailable = new HashSet<>(); // guarded by this

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
    this.purgeDataKeys = purgeDataKeys;
    this.listeners = List.copyOf(listeners);
    this.inventory = inventory;
    this.calls = calls;
    this.confirmation = confirmation;
    this.watch = watch;
    this.state = GuardState.initial(clock.instant(), settings);
    watch.observer(new WatchObserver());
  }

  // ------------------------------------------------------------------ public API

  /**
   * The current status. When the grace period has ended this runs the deadline probe first, so
   * the answer is {@code REFRESH_REQUIRED} only if access is still lost.
   */
  public KeyAccessStatus status() {
    Pending pending = new Pending();
    GuardState s;
    synchronized (this) {
      s = expireGrace(clock.instant(), pending);
    }
    publish(pending);
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
    Pending pending = new Pending();
    try {
      synchronized (this) {
        Instant now = clock.instant();
        KeyConfiguration next = configuration == null ? config : configuration.get();
        if (next == null) {
          throw new IllegalStateException("no write key configured: nothing to refresh");
        }
        if (config == null || next.provider() != config.provider()) {
          providers.replace(next.provider());
        }
        config = next;
        GuardState s = state;
        KeyReference version;
        try {
          version = confirmation.confirm(next, s.currentVersion(), now, pending.events);
          confirmation.trialRoundTrip(next.provider(), version);
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
      publish(pending);
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
    Pending pending = new Pending();
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
      publish(pending);
    }
  }

  /** The configured key reference, when this instance writes. */
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
    Pending pending = new Pending();
    try {
      synchronized (this) {
        config = configuration.get();
        providers.replace(config.provider());
        Instant now = clock.instant();
        try {
          KeyReference version = confirmation.confirm(config, null, now, pending.events);
          confirmation.trialRoundTrip(config.provider(), version);
          setAvailable(version, now, pending);
        } catch (KeyProviderException e) {
          trip(causeOf(e), e.getMessage(), now, now, pending);
        }
      }
    } finally {
      publish(pending);
    }
  }

  KeyAccess access() {
    return access;
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
   * At the end of the grace period: one more probe, whatever the backoff says; only if it fails
   * too does the guard require a refresh.
   */
  private GuardState expireGrace(Instant now, Pending pending) {
    GuardState s = state;
    if (s.kind() != KeyAccessState.UNAVAILABLE || s.withinGrace(now, settings)) {
      return s;
    }
    Instant deadline = s.since().plus(settings.gracePeriod());
    // The deadline probe counts only when it runs at the deadline: a probe long after it could
    // not tell whether access came back in time, so the stricter answer stands.
    if (config != null && now.isBefore(deadline.plus(DEADLINE_PROBE_TOLERANCE))) {
      probe(now, pending);
      s = state;
      if (s.kind() == KeyAccessState.AVAILABLE) {
        LOG.info("event=cmk.key.recovered-at-deadline key={} lostSince={}", configKeyText(),
            s.since());
        return s;
      }
    }
    GuardState locked = s.refreshRequired();
    transition(s, locked, now, pending);
    LOG.error("event=cmk.key.refresh-required key={} cause={} since={}",
        configKeyText(), s.cause(), s.since());
    return locked;
  }

  /** Probe: confirm the key; recover if unavailable. */
  private void probe(Instant now, Pending pending) {
    GuardState s = state;
    try {
      KeyReference version =
          confirmation.confirm(config, s.currentVersion(), now, pending.events);
      if (s.kind() != KeyAccessState.AVAILABLE) {
        confirmation.trialRoundTrip(config.provider(), version);
      }
      setAvailable(version, now, pending);
      checkRecentlyUsedVersions(version, now, pending);
    } catch (KeyProviderException e) {
      if (!e.isAuthoritative()) {
        transientFailure(e, now, pending);
      } else if (s.kind() == KeyAccessState.AVAILABLE) {
        trip(causeOf(e), e.getMessage(), now, now, pending);
      } else {
        state = s.backedOff(causeOf(e), e.getMessage(), now, settings);
      }
    }
  }

  /**
   * Re-describes old versions of the configured key that decrypted recently: a version found
   * unusable raises {@link KeyAccessEvent.VersionUnavailable} and has its cached data keys
   * destroyed (after the lock is released).
   */
  private void checkRecentlyUsedVersions(KeyReference current, Instant now, Pending pending) {
    KeyEncryptionKeyProvider provider = config.provider();
    for (KeyVersionInventory.Usage u : inventory.versions()) {
      if (u.lastSeen() == null || u.version().equals(current)
          || !u.version().sameKeyAs(config.key())
          || u.lastSeen().isBefore(now.minus(settings.recentUseWindow()))) {
        continue;
      }
      KeyVersionId id = new KeyVersionId(provider.id(), u.version().toString());
      try {
        KeyDescription d = provider.describe(u.version());
        KeyProviderException unusable = VersionWatch.unusable(d, now);
        if (unusable == null) {
          reportedUnavailable.remove(u.version().toString());
        } else {
          pending.after(() -> watch.refused(id, unusable));
        }
      } catch (KeyProviderException e) {
        if (e.isAuthoritative()) {
          pending.after(() -> watch.refused(id, e));
        }
      }
    }
  }

  private void reportVersionUnavailable(KeyReference version, LossCause cause, Instant now,
      Pending pending) {
    Instant lastSeen = inventory.lastSeen(version.toString());
    if (lastSeen == null || lastSeen.isBefore(now.minus(settings.recentUseWindow()))) {
      return;
    }
    if (reportedUnavailable.add(version.toString())) {
      pending.events.add(new KeyAccessEvent.VersionUnavailable(now, version, cause, lastSeen));
      LOG.warn("event=cmk.key.version-unavailable version={} cause={} lastSeen={}",
          version, cause, lastSeen);
    }
  }

  private void setAvailable(KeyReference version, Instant now, Pending pending) {
    GuardState s = state;
    if (s.currentVersion() == null || !s.currentVersion().equals(version)) {
      pending.events.add(new KeyAccessEvent.RotationPickedUp(now, s.currentVersion(), version));
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

  private void trip(LossCause cause, String error, Instant since, Instant now, Pending pending) {
    GuardState s = state;
    transition(s, s.lost(cause, error, since, now, settings), now, pending);
    LOG.error("event=cmk.key.unavailable key={} cause={} error=\"{}\"", configKeyText(), cause,
        error);
    if (cause.isAuthoritative()) {
      // The purge itself runs in publish(), outside this lock (lock ordering with the data-key
      // holders); the state is already UNAVAILABLE, so no read can use a cached key meanwhile.
      pending.events.add(new KeyAccessEvent.DataKeysPurged(now, cause));
    }
  }

  private void transientFailure(KeyProviderException e, Instant now, Pending pending) {
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

  /** Trips when transient failures have lasted past the threshold; checked on every operation. */
  private void tripIfTransientTooLong(Instant now, Pending pending) {
    GuardState s = state;
    if (s.kind() == KeyAccessState.AVAILABLE && s.transientSince() != null
        && !now.isBefore(s.transientSince().plus(settings.transientTripThreshold()))) {
      trip(LossCause.PROVIDER_UNAVAILABLE, s.lastError(), s.transientSince(), now, pending);
    }
  }

  private void transition(GuardState from, GuardState to, Instant now, Pending pending) {
    state = to;
    if (from.kind() != to.kind()) {
      KeyReference key = configuredKeyOrNull();
      pending.events.add(new KeyAccessEvent.StateChanged(now,
          from.toStatus(now, settings, key), to.toStatus(now, settings, key)));
      LOG.info("event=cmk.key.state-changed key={} from={} to={} cause={}", configKeyText(),
          from.kind(), to.kind(), to.cause());
    }
  }

  private String configKeyText() {
    KeyConfiguration c = config;
    return c == null ? "-" : c.key().toString();
  }

  /** Events and after-lock actions gathered under the lock, run by {@link #publish}. */
  private static final class Pending {
    final List<KeyAccessEvent> events = new ArrayList<>();
    final List<Runnable> actions = new ArrayList<>();

    void after(Runnable action) {
      actions.add(action);
    }
  }

  /** Runs what must happen outside the lock: purges first, then listeners. */
  private void publish(Pending pending) {
    for (Runnable action : pending.actions) {
      action.run();
    }
    for (KeyAccessEvent e : pending.events) {
      if (e instanceof KeyAccessEvent.DataKeysPurged) {
        purgeDataKeys.run();
        LOG.warn("event=cmk.key.data-keys-purged cause={}",
            ((KeyAccessEvent.DataKeysPurged) e).cause());
      }
    }
    for (KeyAccessEvent e : pending.events) {
      for (KeyAccessListener l : listeners) {
        try {
          l.onEvent(e);
        } catch (RuntimeException ex) {
          LOG.warn("event=cmk.key.listener-failed listener={} event={}", l.getClass().getName(),
              e.eventName(), ex);
        }
      }
    }
  }

  private KeyAccessSuspendedException suspended(GuardState s, Throwable cause) {
    boolean refresh = s.kind() == KeyAccessState.REFRESH_REQUIRED;
    String message = "customer-managed key " + configKeyText() + " is not accessible ("
        + s.cause() + (s.lastError() == null ? "" : ": " + s.lastError()) + ")"
        + (refresh ? "; access was lost more than " + settings.gracePeriod().toMinutes()
            + " minutes ago, an explicit refresh is required" : "");
    return new KeyAccessSuspendedException(message, refresh, s.since(), cause);
  }

  // ------------------------------------------------------------------ the engine's view

  /**
   * Ensures the guard is available (running a due probe first), for reads ({@code
   * forWrite=false}: transient trouble below the trip threshold still lets cached keys serve) or
   * writes (a fresh confirmation is required).
   */
  private GuardState ensureAvailable(boolean forWrite) {
    Instant now = clock.instant();
    GuardState s = state;
    if (s.kind() == KeyAccessState.AVAILABLE
        && (config == null || !s.confirmationStale(now, settings))) {
      return s;
    }
    Pending pending = new Pending();
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
      publish(pending);
    }
  }

  /** Strict writes: confirms the write key now, before a new data key is wrapped under it. */
  private KeyReference confirmNow() {
    Pending pending = new Pending();
    try {
      synchronized (this) {
        Instant now = clock.instant();
        probe(now, pending);
        GuardState s = expireGrace(now, pending);
        if (s.kind() != KeyAccessState.AVAILABLE) {
          throw suspended(s, null);
        }
        if (s.confirmedAt() == null || !s.confirmedAt().equals(now)) {
          throw new KeyProviderUnavailableException("strict writes: the key's enabled state "
              + "could not be confirmed now" + (s.lastError() == null ? "" : " ("
              + s.lastError() + ")"), config.key(), null);
        }
        return s.currentVersion();
      }
    } finally {
      publish(pending);
    }
  }

  private final class Access implements KeyAccess {
    @Override
    public KeyReference writeVersion() {
      if (configuration == null) {
        throw new IllegalStateException("no write key configured: this instance only decrypts");
      }
      return ensureAvailable(true).currentVersion();
    }

    @Override
    public KeyReference versionForNewDataKey(KeyReference version) {
      return settings.strictWrites() ? confirmNow() : version;
    }

    @Override
    public WrappedKey wrap(KeyReference version, SecretBytes dataKey) {
      KeyEncryptionKeyProvider p = config.provider();
      Instant started = clock.instant();
      try {
        WrappedKey w = calls.call(() -> p.wrap(version, dataKey));
        watch.confirmed(KeyVersionId.of(w), started);
        return w;
      } catch (KeyProviderException e) {
        throw writeFailed(e);
      }
    }

    @Override
    public SecretBytes unwrap(WrappedKey wrappedKey) {
      ensureAvailable(false);
      KeyEncryptionKeyProvider p = providers.get(wrappedKey.providerId());
      Instant started = clock.instant();
      SecretBytes key = calls.call(() -> p.unwrap(wrappedKey));
      watch.confirmed(KeyVersionId.of(wrappedKey), started);
      clearTransient();
      return key;
    }

    @Override
    public RuntimeException unwrapFailed(KeyVersionId version, KeyProviderException e) {
      return readFailed(version, e);
    }

    @Override
    public void checkReadable(KeyVersionId version) {
      GuardState s = ensureAvailable(false);
      if (!isCurrentWriteVersion(version, s)) {
        watch.checkReadable(version);
      }
    }

    @Override
    public void checkWritable() {
      ensureAvailable(true);
    }

    @Override
    public void recordSeen(String keyReference) {
      inventory.recordSeen(keyReference);
    }
  }

  private boolean isCurrentWriteVersion(KeyVersionId version, GuardState s) {
    KeyConfiguration c = config;
    return c != null && s.currentVersion() != null
        && version.providerId().equals(c.provider().id())
        && version.reference().equals(s.currentVersion().toString());
  }

  private void clearTransient() {
    if (state.transientSince() != null) {
      synchronized (this) {
        GuardState s = state;
        if (s.transientSince() != null) {
          state = s.streakCleared();
        }
      }
    }
  }

  /** A wrap failed: it always concerns the configured key. */
  private RuntimeException writeFailed(KeyProviderException e) {
    Pending pending = new Pending();
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
      publish(pending);
    }
  }

  /**
   * An unwrap failed (called outside every cache lock). A denial of the current write version
   * trips the guard. A denial of any other version fails this request only: the version is
   * remembered as refused (its cached keys destroyed, nothing else), and the configured key is
   * re-checked — rate-limited — so that only its own denial trips the guard.
   */
  private RuntimeException readFailed(KeyVersionId version, KeyProviderException e) {
    Pending pending = new Pending();
    try {
      boolean current;
      synchronized (this) {
        Instant now = clock.instant();
        if (config == null) {
          pending.after(() -> {
            if (e.isAuthoritative()) {
              watch.refused(version, e);
            }
          });
          return e;
        }
        if (!e.isAuthoritative()) {
          transientFailure(e, now, pending);
          GuardState after = state;
          return after.kind() == KeyAccessState.AVAILABLE ? e : suspended(after, e);
        }
        GuardState s = state;
        current = isCurrentWriteVersion(version, s);
        if (current) {
          if (s.kind() == KeyAccessState.AVAILABLE) {
            trip(causeOf(e), e.getMessage(), now, now, pending);
          }
          return suspended(state, e);
        }
        pending.after(() -> watch.refused(version, e));
        if (s.kind() == KeyAccessState.AVAILABLE && (s.lastProbeAt() == null
            || !now.isBefore(s.lastProbeAt().plus(MIN_TRIGGERED_PROBE_SPACING)))) {
          probe(now, pending); // does the denial concern the configured key too?
        }
        GuardState after = state;
        return after.kind() == KeyAccessState.AVAILABLE ? e : suspended(after, e);
      }
    } finally {
      publish(pending);
    }
  }

  /** Hears the version watch; reports recently used versions that became unusable. */
  private final class WatchObserver implements VersionWatch.Observer {
    @Override
    public void unusable(KeyVersionId version, KeyProviderException why, Instant at) {
      Pending pending = new Pending();
      synchronized (KeyAccessGuard.this) {
        try {
          reportVersionUnavailable(KeyReference.parse(version.reference()), LossCause.of(why), at,
              pending);
        } catch (IllegalArgumentException notAReference) {
          return;
        }
      }
      publish(pending);
    }

    @Override
    public void usableAgain(KeyVersionId version, Instant at) {
      synchronized (KeyAccessGuard.this) {
        reportedUnavailable.remove(version.reference());
      }
      LOG.info("event=cmk.key.version-usable-again version={}", version.reference());
    }
  }

  @Override
  public String toString() {
    GuardState s = state;
    return "KeyAccessGuard[" + s.kind() + " since " + s.since() + ", cause " + s.cause() + "]";
  }
}
