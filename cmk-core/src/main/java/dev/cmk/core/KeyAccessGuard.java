package dev.cmk.core;

import dev.cmk.api.CmkException;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.api.KeyPolicyViolationException.Violation;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.internal.KeyAccess;
import dev.cmk.core.internal.Providers;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loss-of-access circuit breaker: decides whether the customer-managed key may be used right
 * now, and reproduces the Azure Health Data Services contract when it may not.
 *
 * <ul>
 *   <li><b>Available</b>: operations run. The key's enabled state (and, for a versionless key, its
 *       latest version) is re-confirmed with the provider at least every {@link
 *       KeyAccessSettings#probeInterval() probe interval}; writes are refused unless that
 *       confirmation is fresh, so nothing is written under a key that may already be disabled.
 *   <li><b>Unavailable</b>: entered at once on an authoritative denial (key disabled, deleted,
 *       expired, identity forbidden), or when transient failures persisted past {@link
 *       KeyAccessSettings#transientTripThreshold()} after retries. Every operation fails fast with
 *       {@link KeyAccessSuspendedException} (servers answer HTTP 500) without calling the provider;
 *       a probe re-checks access with backoff, and a success within the {@link
 *       KeyAccessSettings#gracePeriod() grace period} (30 minutes) reopens the guard by itself. On
 *       an authoritative denial every cached plaintext data key is destroyed, so revocation takes
 *       effect within one probe interval, not at cache expiry. Transient failures do not purge.
 *   <li><b>Refresh required</b>: the grace period passed. The guard stays closed even if the key
 *       is reachable again, until the application calls {@link #refresh()}, which re-reads the key
 *       configuration (key URL, identity), re-checks the policy and access, and only then reopens.
 * </ul>
 *
 * <p>Probes happen on demand (the first request after a probe is due runs it; others wait for its
 * result) and, if configured, from a background scheduler via {@link #probeIfDue()}.
 *
 * <p><b>Security guarantees:</b> no key bytes or plaintext appear in events, logs or exception
 * messages produced here; error texts are the providers' (which carry none either).
 *
 * <p><b>Thread safety:</b> safe for concurrent use; state changes are serialized and probes are
 * single-flight.
 */
public final class KeyAccessGuard {
  private static final Logger LOG = LoggerFactory.getLogger(KeyAccessGuard.class);
  private static final Duration MIN_TRIGGERED_PROBE_SPACING = Duration.ofSeconds(5);

  private final Clock clock;
  private final KeyAccessSettings settings;
  private final KeyPolicy policy;
  private final Supplier<KeyConfiguration> configuration;
  private final Providers providers;
  private final Runnable purgeDataKeys;
  private final List<KeyAccessListener> listeners;
  private final KeyVersionInventory inventory;
  private final Sleeper sleeper;
  private final SecureRandom random;
  private final Access access = new Access();

  private volatile State state;
  private volatile KeyConfiguration config; // written under the lock
  private final Set<String> reportedUnavailable = new HashSet<>(); // guarded by this

  /** Immutable snapshot of the mutable state. */
  private static final class State {
    final KeyAccessState kind;
    final Instant since;
    final LossCause cause;
    final String lastError;
    final KeyReference currentVersion;
    final Instant confirmedAt; // null = never
    final Instant nextProbeAt;
    final Duration backoff;
    final Instant transientSince; // null = no ongoing transient streak
    final Instant lastProbeAt;

    State(KeyAccessState kind, Instant since, LossCause cause, String lastError,
        KeyReference currentVersion, Instant confirmedAt, Instant nextProbeAt, Duration backoff,
        Instant transientSince, Instant lastProbeAt) {
      this.kind = kind;
      this.since = since;
      this.cause = cause;
      this.lastError = lastError;
      this.currentVersion = currentVersion;
      this.confirmedAt = confirmedAt;
      this.nextProbeAt = nextProbeAt;
      this.backoff = backoff;
      this.transientSince = transientSince;
      this.lastProbeAt = lastProbeAt;
    }

    State with(KeyAccessState k, Instant s, LossCause c, String err) {
      return new State(k, s, c, err, currentVersion, confirmedAt, nextProbeAt, backoff,
          transientSince, lastProbeAt);
    }
  }

  KeyAccessGuard(
      Clock clock,
      KeyAccessSettings settings,
      KeyPolicy policy,
      Supplier<KeyConfiguration> configuration,
      Providers providers,
      Runnable purgeDataKeys,
      List<KeyAccessListener> listeners,
      KeyVersionInventory inventory,
      Sleeper sleeper,
      SecureRandom random) {
    this.clock = clock;
    this.settings = settings;
    this.policy = policy;
    this.configuration = configuration;
    this.providers = providers;
    this.purgeDataKeys = purgeDataKeys;
    this.listeners = List.copyOf(listeners);
    this.inventory = inventory;
    this.sleeper = sleeper;
    this.random = random;
    Instant now = clock.instant();
    this.state = new State(KeyAccessState.AVAILABLE, now, LossCause.NONE, null, null, null,
        now, settings.probeBackoffMin(), null, null);
  }

  // ------------------------------------------------------------------ public API

  /** The current status (computes the move to {@code REFRESH_REQUIRED} when the grace ended). */
  public KeyAccessStatus status() {
    List<KeyAccessEvent> events = new ArrayList<>();
    State s;
    synchronized (this) {
      s = expireGrace(clock.instant(), events);
    }
    publish(events);
    return toStatus(s, clock.instant());
  }

  /**
   * Re-reads the key configuration (key reference and provider, i.e. identity), checks the key
   * against the policy, proves access with a trial wrap and unwrap, and reopens the guard. This
   * is the explicit step needed after the grace period; it is also how a configuration change
   * takes effect.
   *
   * @return the status after the refresh
   * @throws KeyPolicyViolationException if the key breaks the policy (the guard stays as it was)
   * @throws KeyProviderException if the key is still not accessible (the guard stays closed)
   */
  public KeyAccessStatus refresh() {
    List<KeyAccessEvent> events = new ArrayList<>();
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
        State s = expireGrace(now, events);
        KeyReference version;
        try {
          version = confirm(next, s.currentVersion, now, events);
          trialRoundTrip(next.provider(), version);
        } catch (KeyProviderException e) {
          if (s.kind == KeyAccessState.AVAILABLE) {
            trip(causeOf(e), e, now, now, events);
          }
          throw e;
        }
        setAvailable(version, now, now, events);
        LOG.info("event=cmk.key.refreshed key={} version={}", next.key(), version);
      }
    } finally {
      publish(events);
    }
    return status();
  }

  /**
   * Runs a probe if one is due: while available, when the last confirmation is older than the
   * probe interval; while unavailable, when the backoff says so. Call it from a scheduler to keep
   * confirmations fresh without making requests wait.
   */
  public void probeIfDue() {
    List<KeyAccessEvent> events = new ArrayList<>();
    try {
      synchronized (this) {
        Instant now = clock.instant();
        State s = expireGrace(now, events);
        if (config == null || s.kind == KeyAccessState.REFRESH_REQUIRED) {
          return;
        }
        boolean due = s.kind == KeyAccessState.AVAILABLE
            ? confirmationStale(s, now) && !now.isBefore(s.nextProbeAt)
            : !now.isBefore(s.nextProbeAt);
        if (due) {
          probe(now, events);
        }
      }
    } finally {
      publish(events);
    }
  }

  /** The configured key reference, when this instance writes. */
  public synchronized java.util.Optional<KeyReference> configuredKey() {
    return java.util.Optional.ofNullable(config).map(KeyConfiguration::key);
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
    List<KeyAccessEvent> events = new ArrayList<>();
    try {
      synchronized (this) {
        config = configuration.get();
        providers.replace(config.provider());
        Instant now = clock.instant();
        try {
          KeyReference version = confirm(config, null, now, events);
          trialRoundTrip(config.provider(), version);
          setAvailable(version, now, now, events);
        } catch (KeyProviderException e) {
          trip(causeOf(e), e, now, now, events);
        }
      }
    } finally {
      publish(events);
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

  // ------------------------------------------------------------------ core logic (under lock)

  private boolean confirmationStale(State s, Instant now) {
    return s.confirmedAt == null || !now.isBefore(s.confirmedAt.plus(settings.probeInterval()));
  }

  private State expireGrace(Instant now, List<KeyAccessEvent> events) {
    State s = state;
    if (s.kind == KeyAccessState.UNAVAILABLE && !now.isBefore(s.since.plus(settings.gracePeriod()))) {
      State locked = s.with(KeyAccessState.REFRESH_REQUIRED, s.since, s.cause, s.lastError);
      transition(s, locked, now, events);
      LOG.error("event=cmk.key.refresh-required key={} cause={} since={}",
          configKeyText(), s.cause, s.since);
      return locked;
    }
    return s;
  }

  /** Probe: confirm the key; recover if unavailable. Caller holds the lock. */
  private void probe(Instant now, List<KeyAccessEvent> events) {
    State s = state;
    try {
      KeyReference version = confirm(config, s.currentVersion, now, events);
      if (s.kind != KeyAccessState.AVAILABLE) {
        trialRoundTrip(config.provider(), version);
      }
      setAvailable(version, now, s.kind == KeyAccessState.AVAILABLE ? s.since : now, events);
      checkRecentlyUsedVersions(version, now, events);
    } catch (KeyProviderException e) {
      if (e.isAuthoritative()) {
        if (s.kind == KeyAccessState.AVAILABLE) {
          trip(causeOf(e), e, now, now, events);
        } else {
          backoff(now, e, causeOf(e));
        }
      } else {
        transientFailure(e, now, events);
      }
    }
  }

  /**
   * Describes the configured key, applies the policy, picks up rotation. Returns the version for
   * writes. Throws KeyProviderException (authoritative for a disabled/invalid current version) or
   * KeyPolicyViolationException when there is no usable version at all and none was in use.
   */
  private KeyReference confirm(
      KeyConfiguration c, KeyReference current, Instant now, List<KeyAccessEvent> events) {
    KeyDescription d = callWithRetry(() -> c.provider().describe(c.key()), c.key());
    List<Violation> violations = policy.check(d, now);
    if (violations.isEmpty()) {
      return d.reference();
    }
    boolean sameVersion = current != null && current.equals(d.reference());
    if (c.key().isVersioned() || current == null || sameVersion
        || !current.sameKeyAs(c.key())) {
      // The version we would write under is itself unusable.
      throw asLoss(d, violations, current == null && !c.key().isVersioned());
    }
    // A new version appeared that breaks the policy: report it, keep writing under the current
    // one as long as that one still passes.
    events.add(new KeyAccessEvent.PolicyViolationFound(now, d.reference(), violations));
    LOG.warn("event=cmk.key.policy-violation version={} violations=\"{}\"", d.reference(),
        join(violations));
    KeyDescription cur = callWithRetry(() -> c.provider().describe(current), current);
    List<Violation> curViolations = policy.check(cur, now);
    if (!curViolations.isEmpty()) {
      throw asLoss(cur, curViolations, false);
    }
    return current;
  }

  /**
   * Converts policy violations of the version in use into the exception the guard trips on: a
   * disabled, expired or operation-restricted key is a loss of access; anything else (size, type,
   * vault protection) is a policy violation.
   */
  private RuntimeException asLoss(KeyDescription d, List<Violation> v, boolean initial) {
    boolean usabilityOnly = v.stream().allMatch(x ->
        x.rule().equals(KeyPolicy.RULE_ENABLED) || x.rule().equals(KeyPolicy.RULE_VALIDITY)
            || x.rule().equals(KeyPolicy.RULE_OPERATIONS));
    if (!usabilityOnly) {
      KeyPolicyViolationException e = new KeyPolicyViolationException(d.reference(), v);
      if (initial || state.currentVersion == null) {
        return e;
      }
      return new KeyAccessDeniedException(e.getMessage(),
          KeyAccessDeniedException.Reason.UNSPECIFIED, d.reference(), e);
    }
    KeyAccessDeniedException.Reason reason = !d.enabled()
        ? KeyAccessDeniedException.Reason.KEY_DISABLED
        : v.stream().anyMatch(x -> x.rule().equals(KeyPolicy.RULE_VALIDITY))
            ? KeyAccessDeniedException.Reason.KEY_NOT_VALID_NOW
            : KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED;
    return new KeyAccessDeniedException(join(v), reason, d.reference());
  }

  private void trialRoundTrip(KeyEncryptionKeyProvider provider, KeyReference version) {
    byte[] probe = new byte[32];
    random.nextBytes(probe);
    SecretBytes key = SecretBytes.wrapOwned(probe.clone());
    SecretBytes back = null;
    try {
      WrappedKey w = callWithRetry(() -> provider.wrap(version, key), version);
      back = callWithRetry(() -> provider.unwrap(w), version);
      byte[] got = back.copy();
      try {
        if (!MessageDigest.isEqual(probe, got)) {
          throw new KeyProviderUnavailableException(
              "trial unwrap returned a different key", version, null);
        }
      } finally {
        java.util.Arrays.fill(got, (byte) 0);
      }
    } catch (InvalidCiphertextException e) {
      throw new KeyProviderUnavailableException("trial unwrap failed", version, e);
    } finally {
      java.util.Arrays.fill(probe, (byte) 0);
      key.destroy();
      if (back != null) {
        back.destroy();
      }
    }
  }

  /** Warns about recently used old versions that became unusable. */
  private void checkRecentlyUsedVersions(KeyReference current, Instant now,
      List<KeyAccessEvent> events) {
    for (KeyVersionInventory.Usage u : inventory.versions()) {
      if (u.lastSeen() == null || u.version().equals(current)
          || !u.version().sameKeyAs(config.key())
          || u.lastSeen().isBefore(now.minus(settings.recentUseWindow()))) {
        continue;
      }
      try {
        KeyDescription d = config.provider().describe(u.version());
        if (d.isUsableAt(now)) {
          reportedUnavailable.remove(u.version().toString());
        } else {
          reportVersionUnavailable(u.version(), d.enabled() ? LossCause.KEY_NOT_VALID
              : LossCause.KEY_DISABLED, now, events);
        }
      } catch (KeyProviderException e) {
        if (e.isAuthoritative()) {
          reportVersionUnavailable(u.version(), LossCause.of(e), now, events);
        }
      }
    }
  }

  private void reportVersionUnavailable(KeyReference version, LossCause cause, Instant now,
      List<KeyAccessEvent> events) {
    Instant lastSeen = inventory.lastSeen(version.toString());
    if (lastSeen == null || lastSeen.isBefore(now.minus(settings.recentUseWindow()))) {
      return;
    }
    if (reportedUnavailable.add(version.toString())) {
      events.add(new KeyAccessEvent.VersionUnavailable(now, version, cause, lastSeen));
      LOG.warn("event=cmk.key.version-unavailable version={} cause={} lastSeen={}",
          version, cause, lastSeen);
    }
  }

  private void setAvailable(KeyReference version, Instant now, Instant since,
      List<KeyAccessEvent> events) {
    State s = state;
    if (s.currentVersion == null || !s.currentVersion.equals(version)) {
      events.add(new KeyAccessEvent.RotationPickedUp(now, s.currentVersion, version));
      LOG.info("event=cmk.key.rotation-picked-up key={} from={} to={}", configKeyText(),
          s.currentVersion, version);
    }
    State next = new State(KeyAccessState.AVAILABLE,
        s.kind == KeyAccessState.AVAILABLE ? s.since : since, LossCause.NONE, null, version,
        now, now, settings.probeBackoffMin(), null, now);
    transition(s, next, now, events);
  }

  private static LossCause causeOf(KeyProviderException e) {
    return e.getCause() instanceof KeyPolicyViolationException
        ? LossCause.POLICY_VIOLATION
        : LossCause.of(e);
  }

  private void trip(LossCause cause, CmkException e, Instant since, Instant now,
      List<KeyAccessEvent> events) {
    State s = state;
    State next = new State(KeyAccessState.UNAVAILABLE, since, cause, e.getMessage(),
        s.currentVersion, s.confirmedAt, now.plus(settings.probeBackoffMin()),
        settings.probeBackoffMin(), s.transientSince, now);
    transition(s, next, now, events);
    LOG.error("event=cmk.key.unavailable key={} cause={} error=\"{}\"", configKeyText(), cause,
        e.getMessage());
    if (cause.isAuthoritative()) {
      // The purge itself runs in publish(), outside this lock (lock ordering with the data-key
      // holders); the state is already UNAVAILABLE, so no read can use a cached key meanwhile.
      events.add(new KeyAccessEvent.DataKeysPurged(now, cause));
    }
  }

  private void backoff(Instant now, CmkException e, LossCause cause) {
    State s = state;
    Duration nextBackoff = s.backoff.multipliedBy(2);
    if (nextBackoff.compareTo(settings.probeBackoffMax()) > 0) {
      nextBackoff = settings.probeBackoffMax();
    }
    state = new State(s.kind, s.since, cause == LossCause.PROVIDER_UNAVAILABLE
        && s.cause != LossCause.NONE ? s.cause : cause, e.getMessage(), s.currentVersion,
        s.confirmedAt, now.plus(s.backoff), nextBackoff, s.transientSince, now);
  }

  private void transientFailure(KeyProviderException e, Instant now,
      List<KeyAccessEvent> events) {
    State s = state;
    if (s.kind != KeyAccessState.AVAILABLE) {
      backoff(now, e, LossCause.PROVIDER_UNAVAILABLE);
      return;
    }
    Instant since = s.transientSince == null ? now : s.transientSince;
    LOG.warn("event=cmk.key.transient-failure key={} since={} error=\"{}\"", configKeyText(),
        since, e.getMessage());
    if (!now.isBefore(since.plus(settings.transientTripThreshold()))) {
      state = new State(s.kind, s.since, s.cause, s.lastError, s.currentVersion, s.confirmedAt,
          s.nextProbeAt, s.backoff, since, now);
      trip(LossCause.PROVIDER_UNAVAILABLE, e, since, now, events);
      return;
    }
    Duration wait = e instanceof KeyProviderUnavailableException
        ? ((KeyProviderUnavailableException) e).retryAfter().orElse(settings.probeBackoffMin())
        : settings.probeBackoffMin();
    state = new State(s.kind, s.since, s.cause, e.getMessage(), s.currentVersion, s.confirmedAt,
        now.plus(wait), s.backoff, since, now);
  }

  private void transition(State from, State to, Instant now, List<KeyAccessEvent> events) {
    state = to;
    if (from.kind != to.kind) {
      events.add(new KeyAccessEvent.StateChanged(now, toStatus(from, now), toStatus(to, now)));
      LOG.info("event=cmk.key.state-changed key={} from={} to={} cause={}", configKeyText(),
          from.kind, to.kind, to.cause);
    }
  }

  private String configKeyText() {
    KeyConfiguration c = config;
    return c == null ? "-" : c.key().toString();
  }

  private KeyAccessStatus toStatus(State s, Instant now) {
    Duration remaining = Duration.ZERO;
    if (s.kind == KeyAccessState.UNAVAILABLE) {
      remaining = Duration.between(now, s.since.plus(settings.gracePeriod()));
      if (remaining.isNegative()) {
        remaining = Duration.ZERO;
      }
    }
    KeyConfiguration c = config;
    return new KeyAccessStatus(s.kind, s.since, s.cause, s.lastError, remaining,
        c == null ? null : c.key(), s.currentVersion, s.confirmedAt);
  }

  private <T> T callWithRetry(Supplier<T> call, KeyReference ref) {
    Duration delay = settings.retryBaseDelay();
    for (int attempt = 0; ; attempt++) {
      try {
        return call.get();
      } catch (KeyProviderUnavailableException e) {
        Duration wait = e.retryAfter().orElse(delay);
        if (attempt >= settings.maxRetries() || wait.compareTo(settings.retryMaxDelay()) > 0) {
          throw e;
        }
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
        delay = delay.multipliedBy(2);
        if (delay.compareTo(settings.retryMaxDelay()) > 0) {
          delay = settings.retryMaxDelay();
        }
      }
    }
  }

  private void publish(List<KeyAccessEvent> events) {
    for (KeyAccessEvent e : events) {
      if (e instanceof KeyAccessEvent.DataKeysPurged) {
        purgeDataKeys.run();
        LOG.warn("event=cmk.key.data-keys-purged cause={}",
            ((KeyAccessEvent.DataKeysPurged) e).cause());
      }
    }
    for (KeyAccessEvent e : events) {
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

  private static String join(List<Violation> v) {
    StringBuilder sb = new StringBuilder();
    for (Violation x : v) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(x.message());
    }
    return sb.toString();
  }

  private KeyAccessSuspendedException suspended(State s) {
    boolean refresh = s.kind == KeyAccessState.REFRESH_REQUIRED;
    String message = "customer-managed key "
        + configKeyText()
        + " is not accessible ("
        + s.cause
        + (s.lastError == null ? "" : ": " + s.lastError)
        + ")"
        + (refresh ? "; access was lost more than " + settings.gracePeriod().toMinutes()
            + " minutes ago, an explicit refresh is required" : "");
    return new KeyAccessSuspendedException(message, refresh, s.since, null);
  }

  // ------------------------------------------------------------------ the engine's view

  /**
   * Ensures the guard is open (running a due probe first), for reads ({@code forWrite=false}:
   * transient trouble below the trip threshold still lets cached keys serve) or writes (a fresh
   * confirmation is required).
   */
  private State ensureOpen(boolean forWrite) {
    Instant now = clock.instant();
    State s = state;
    if (s.kind == KeyAccessState.AVAILABLE && (config == null || !confirmationStale(s, now))) {
      return s;
    }
    List<KeyAccessEvent> events = new ArrayList<>();
    try {
      synchronized (this) {
        now = clock.instant();
        s = expireGrace(now, events);
        if (s.kind == KeyAccessState.REFRESH_REQUIRED) {
          throw suspended(s);
        }
        if (config != null && !now.isBefore(s.nextProbeAt)
            && (s.kind != KeyAccessState.AVAILABLE || confirmationStale(s, now))) {
          probe(now, events);
          s = expireGrace(now, events);
        }
        if (s.kind != KeyAccessState.AVAILABLE) {
          throw suspended(s);
        }
        if (forWrite && confirmationStale(s, now)) {
          throw new KeyProviderUnavailableException(
              "the key's enabled state could not be confirmed within the probe interval; "
                  + "refusing to write" + (s.lastError == null ? "" : " (" + s.lastError + ")"),
              config.key(), null);
        }
        return s;
      }
    } finally {
      publish(events);
    }
  }

  private final class Access implements KeyAccess {
    @Override
    public KeyReference writeVersion() {
      if (configuration == null) {
        throw new IllegalStateException("no write key configured: this instance only decrypts");
      }
      State s = ensureOpen(true);
      return s.currentVersion;
    }

    @Override
    public WrappedKey wrap(KeyReference version, SecretBytes dataKey) {
      KeyEncryptionKeyProvider p = config.provider();
      try {
        return callWithRetry(() -> p.wrap(version, dataKey), version);
      } catch (KeyProviderException e) {
        throw onFailure(e, version, true);
      }
    }

    @Override
    public SecretBytes unwrap(WrappedKey wrappedKey) {
      ensureOpen(false);
      KeyEncryptionKeyProvider p = providers.get(wrappedKey.providerId());
      try {
        SecretBytes key = callWithRetry(() -> p.unwrap(wrappedKey), wrappedKey.keyReference());
        clearTransient();
        return key;
      } catch (KeyProviderException e) {
        throw onFailure(e, wrappedKey.keyReference(), false);
      }
    }

    @Override
    public void checkReadable() {
      ensureOpen(false);
    }

    @Override
    public void checkWritable() {
      ensureOpen(true);
    }

    @Override
    public void recordSeen(String keyReference) {
      inventory.recordSeen(keyReference);
    }
  }

  private void clearTransient() {
    if (state.transientSince != null) {
      synchronized (this) {
        State s = state;
        if (s.transientSince != null) {
          state = new State(s.kind, s.since, s.cause, s.lastError, s.currentVersion,
              s.confirmedAt, s.nextProbeAt, s.backoff, null, s.lastProbeAt);
        }
      }
    }
  }

  /** Classifies a provider failure during an operation; returns what the caller should throw. */
  private RuntimeException onFailure(KeyProviderException e, KeyReference version,
      boolean write) {
    List<KeyAccessEvent> events = new ArrayList<>();
    try {
      synchronized (this) {
        Instant now = clock.instant();
        State s = state;
        if (config == null) {
          return e;
        }
        if (!e.isAuthoritative()) {
          transientFailure(e, now, events);
          State after = state;
          return after.kind == KeyAccessState.AVAILABLE ? e : withCause(suspended(after), e);
        }
        if (config == null) {
          return e; // decrypt-only instance: nothing to guard
        }
        LossCause cause = causeOf(e);
        boolean current = s.currentVersion != null && s.currentVersion.equals(version);
        if (write || current || cause == LossCause.IDENTITY_NOT_AUTHORIZED) {
          if (s.kind == KeyAccessState.AVAILABLE) {
            trip(cause, e, now, now, events);
          }
          return withCause(suspended(state), e);
        }
        // An older version failed: warn if it was in recent use, and re-confirm the current key
        // soon (rate-limited, so forged envelopes cannot turn into a stream of provider calls).
        reportVersionUnavailable(version, cause, now, events);
        if (s.kind == KeyAccessState.AVAILABLE && (s.lastProbeAt == null
            || !now.isBefore(s.lastProbeAt.plus(MIN_TRIGGERED_PROBE_SPACING)))) {
          state = new State(s.kind, s.since, s.cause, s.lastError, s.currentVersion, null, now,
              s.backoff, s.transientSince, s.lastProbeAt);
        }
        return e;
      }
    } finally {
      publish(events);
    }
  }

  private static KeyAccessSuspendedException withCause(KeyAccessSuspendedException s,
      Throwable cause) {
    return new KeyAccessSuspendedException(s.getMessage(), s.refreshRequired(),
        s.since().orElse(null), cause);
  }

  @Override
  public String toString() {
    State s = state;
    return "KeyAccessGuard[" + s.kind + " since " + s.since + ", cause " + s.cause + "]";
  }

}
