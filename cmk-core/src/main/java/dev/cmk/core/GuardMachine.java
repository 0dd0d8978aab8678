package dev.cmk.core;

import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.fleet.FleetRecord;
import dev.cmk.core.fleet.FleetStateUnavailableException;
import dev.cmk.core.internal.ProviderCalls;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

/**
 * The loss-of-access guard's state machine: probes, trips, backoff, the grace deadline and the
 * fleet's shared state. Every method runs under the {@link KeyAccessGuard}'s lock, which also
 * publishes the {@link GuardEvents.Pending} events after releasing it; only {@link #state()} and
 * {@link #config()} are read without the lock (volatile).
 */
final class GuardMachine {
  private static final Logger LOG = LoggerFactory.getLogger(KeyAccessGuard.class);
  /** How late after the grace deadline the deadline probe may still run (see expireGrace). */
  private static final Duration DEADLINE_PROBE_TOLERANCE = Duration.ofSeconds(1);

  /** What a probe found. */
  enum Outcome { CONFIRMED, DENIED, TRANSIENT }

  private final KeyAccessSettings settings;
  private final ProviderCalls calls;
  private final KeyConfirmation confirmation;
  private final VersionReports reports;
  private final FleetSync fleet;

  private volatile GuardState state;
  private volatile @Nullable KeyConfiguration config;
  private KeyConfirmation.@Nullable Canary canary; // unwrapped by every probe
  private @Nullable Instant deadlineRetryOf; // the loss whose deadline probe failed transiently

  GuardMachine(KeyAccessSettings settings, ProviderCalls calls, KeyConfirmation confirmation,
      VersionReports reports, FleetSync fleet, Instant now) {
    this.settings = settings;
    this.calls = calls;
    this.confirmation = confirmation;
    this.reports = reports;
    this.fleet = fleet;
    this.state = GuardState.initial(now, settings);
  }

  GuardState state() {
    return state;
  }

  @Nullable KeyConfiguration config() {
    return config;
  }

  FleetSync fleet() {
    return fleet;
  }

  void clearStreak() {
    GuardState s = state;
    if (s.transientSince() != null) {
      state = s.streakCleared();
    }
  }

  // ------------------------------------------------------------------ start and refresh

  /**
   * The first check: with a fleet store, its record decides where this instance starts (refresh
   * required: there, without a provider call; a loss: its start); then the configured key is
   * confirmed. A store that cannot answer leaves the instance refusing until it does.
   */
  void start(KeyConfiguration c, Instant now, GuardEvents.Pending pending) {
    config = c;
    if (fleet.enabled()) {
      fleet.bind(c);
      Optional<FleetRecord> r;
      try {
        r = fleet.read(now);
      } catch (FleetStateUnavailableException e) {
        state = state.adopted(KeyAccessState.UNAVAILABLE, now, LossCause.FLEET_STATE_UNKNOWN, now,
            settings);
        return;
      }
      if (r.isPresent()) {
        fleet.generation(r.get().state().generation());
        if (r.get().state().state() != KeyAccessState.AVAILABLE) {
          adopt(r.get(), now, pending);
          if (state.kind() == KeyAccessState.REFRESH_REQUIRED) {
            return; // no provider call
          }
          expireGrace(now, pending);
          if (state.kind() == KeyAccessState.UNAVAILABLE) {
            probe(now, pending);
          }
          return;
        }
      }
    }
    try {
      confirmAndSetAvailable(c, now, pending);
    } catch (KeyProviderException e) {
      trip(LossCause.of(e), e.getMessage(), now, now, pending);
    }
  }

  /** Confirms {@code c} (describe, policy, trial round trip) and becomes available under it. */
  void confirmAndSetAvailable(KeyConfiguration c, Instant now, GuardEvents.Pending pending) {
    KeyReference version = confirmation.confirm(c, state.currentVersion(), now, pending.events);
    KeyConfirmation.Canary trial = confirmation.trialRoundTrip(c.provider(), version);
    config = c;
    canary = trial;
    if (fleet.enabled()) {
      fleet.bind(c);
    }
    setAvailable(version, now, pending);
  }

  /**
   * An explicit refresh to {@code next}: confirm it (describe, policy, trial round trip); with a
   * fleet store, record the next generation (every replica follows it within one probe
   * interval); then become available. A key still not accessible trips an available guard and
   * throws; a store that cannot record the refresh throws and changes nothing.
   */
  void refresh(KeyConfiguration next, Instant now, GuardEvents.Pending pending) {
    config = next;
    GuardState s = state;
    KeyReference version;
    KeyConfirmation.Canary trial;
    try {
      version = confirmation.confirm(next, s.currentVersion(), now, pending.events);
      trial = confirmation.trialRoundTrip(next.provider(), version);
    } catch (KeyProviderException e) {
      // A refused refresh changes nothing: refresh-required and a running loss keep their record
      // (and loss start); only an available guard trips, on the new key's record as before.
      if (s.kind() == KeyAccessState.AVAILABLE) {
        if (fleet.enabled()) {
          fleet.bind(next);
        }
        trip(LossCause.of(e), e.getMessage(), now, now, pending);
      }
      throw e;
    }
    if (fleet.enabled()) {
      fleet.recordRefresh(next, now); // binds to next's record only once recorded
    }
    canary = trial;
    deadlineRetryOf = null;
    setAvailableQuietly(version, now, pending);
    pending.add(new KeyAccessEvent.Refreshed(now, next.key(), version, false));
    LOG.atInfo().setMessage("cmk.key.refreshed").addKeyValue("key", next.key())
        .addKeyValue("version", version).log();
  }

  /**
   * A retry of a start the fleet store did not answer, when due. Keyed on the state too: a read
   * made since (by a refresh() whose write then failed) makes the store known, but the start it
   * stands for never ran, and nothing else leaves FLEET_STATE_UNKNOWN.
   */
  void retryStartIfDue(Instant now, GuardEvents.Pending pending) {
    boolean startPending = !fleet.known() || state.cause() == LossCause.FLEET_STATE_UNKNOWN;
    if (fleet.enabled() && startPending && config != null && fleet.readDue(now)) {
      state = GuardState.initial(now, settings);
      start(config, now, pending);
    }
  }

  // ------------------------------------------------------------------ the fleet

  /** Reads the fleet's record when due and reconciles with it; an outage changes nothing. */
  void syncIfDue(Instant now, GuardEvents.Pending pending, Reloader reloader) {
    if (!fleet.enabled() || !fleet.known() || !fleet.readDue(now)) {
      return;
    }
    try {
      reconcile(fleet.read(now), now, pending, reloader);
    } catch (FleetStateUnavailableException e) {
      // keep the local view; retried after the minimum backoff
    }
  }

  /** Re-reads the configuration for a refresh another replica made. */
  interface Reloader {
    KeyConfiguration reload();
  }

  private void reconcile(Optional<FleetRecord> record, Instant now, GuardEvents.Pending pending,
      Reloader reloader) {
    for (int round = 0; round < 4; round++) {
      GuardState local = state;
      if (record.isEmpty() || record.get().state().generation() < fleet.generation()) {
        if (!fleet.write(local, now)) {
          record = fleet.read(now);
          continue;
        }
        return;
      }
      FleetRecord r = record.get();
      if (r.state().generation() > fleet.generation()) {
        if (!followRefresh(r, now, pending, reloader)) {
          return; // the configuration could not be re-read: followed at the next read
        }
        continue; // same record, same generation now
      }
      if (!reconcileSameGeneration(r, local, now, pending)) {
        record = fleet.read(now);
        continue;
      }
      return;
    }
  }

  /**
   * One generation, two views. The fleet's "refresh required" always wins; of two losses the
   * recorded start wins (replicas agree on one); a local change the fleet has not taken yet
   * (recovery, loss, deadline) is written; a recorded loss this instance has not seen is
   * adopted; a fleet recovery after this instance's recorded loss restarts its loss clock.
   *
   * @return false if a write lost a race (read again)
   */
  private boolean reconcileSameGeneration(FleetRecord r, GuardState local, Instant now,
      GuardEvents.Pending pending) {
    KeyAccessState fleetKind = r.state().state();
    boolean news = fleet.unrecorded();
    if (fleetKind == KeyAccessState.REFRESH_REQUIRED
        || (fleetKind == KeyAccessState.UNAVAILABLE
            && (local.kind() == KeyAccessState.UNAVAILABLE || !news))
            && local.kind() != KeyAccessState.REFRESH_REQUIRED) {
      adopt(r, now, pending);
      return true;
    }
    if (fleetKind == KeyAccessState.AVAILABLE && local.kind() != KeyAccessState.REFRESH_REQUIRED
        && !news) {
      if (local.kind() == KeyAccessState.UNAVAILABLE && fleet.lastReadChanged()) {
        // Another replica recovered after this one's loss was recorded: this instance still
        // cannot confirm the key, but its loss counts anew (it must not lock the fleet) — once
        // per recovery record, not at every read of it, or the loss never reaches the deadline.
        state = local.adopted(KeyAccessState.UNAVAILABLE, now, local.cause(), now, settings);
      }
      fleet.settled();
      return true;
    }
    return fleet.write(local, now);
  }

  /**
   * Another replica refreshed: do the same here (configuration, confirmation). If the fleet lost
   * the key again since, take its state instead of confirming (no vault call, and never
   * available in between). If the configuration cannot be re-read, nothing changes.
   *
   * @return false if the configuration could not be re-read
   */
  private boolean followRefresh(FleetRecord r, Instant now, GuardEvents.Pending pending,
      Reloader reloader) {
    KeyConfiguration c;
    try {
      c = reloader.reload();
    } catch (RuntimeException e) {
      // Taking the generation without the refresh would make this replica record its stale
      // "refresh required" over the refresh at the next read, locking the fleet again.
      LOG.atWarn().setMessage("cmk.key.refresh-follow-failed").addKeyValue("key", keyText())
          .addKeyValue("generation", r.state().generation())
          .addKeyValue("error", e.getClass().getName()).log();
      if (r.state().state() == KeyAccessState.REFRESH_REQUIRED) {
        adopt(r, now, pending); // stricter whatever the generation; followed at the next read
      }
      return false;
    }
    fleet.generation(r.state().generation());
    deadlineRetryOf = null;
    if (r.state().state() != KeyAccessState.AVAILABLE) {
      config = c;
      adopt(r, now, pending);
      return true;
    }
    try {
      KeyReference version = confirmation.confirm(c, state.currentVersion(), now, pending.events);
      canary = confirmation.trialRoundTrip(c.provider(), version);
      config = c;
      fleet.rebind(c); // a refresh that moved the service to another key: its record from now on
      setAvailableQuietly(version, now, pending);
      pending.add(new KeyAccessEvent.Refreshed(now, c.key(), version, true));
      fleet.changedLocally();
      LOG.atInfo().setMessage("cmk.key.refresh-followed").addKeyValue("key", c.key())
          .addKeyValue("generation", fleet.generation()).log();
    } catch (KeyProviderException e) {
      GuardState s = state;
      LossCause cause = LossCause.of(e);
      transition(s, s.lost(cause, e.getMessage(), now, now, settings), now, pending, false);
      fleet.changedLocally();
      if (cause.isAuthoritative()) {
        pending.add(new KeyAccessEvent.DataKeysPurged(now, cause));
      }
    }
    return true;
  }

  /** Takes the fleet's loss (its start, its cause, "refresh required") without recording it. */
  private void adopt(FleetRecord r, Instant now, GuardEvents.Pending pending) {
    GuardState s = state;
    Instant since = r.state().lostSince();
    if (since.isAfter(now)) {
      since = now; // a replica's clock ahead of this one's: never a loss starting in the future
    }
    LossCause cause = r.state().cause();
    if (cause == LossCause.FLEET_STATE_UNKNOWN) {
      // Never recorded by this version; taken from the store it would stop probes and the
      // deadline (both skip that cause) for good: count it as an outage instead.
      cause = LossCause.PROVIDER_UNAVAILABLE;
    }
    GuardState to = s.adopted(r.state().state(), since, cause, now, settings);
    fleet.settled();
    if (to.equals(s)) {
      return;
    }
    transition(s, to, now, pending, false);
    if (s.kind() == KeyAccessState.AVAILABLE && cause.isAuthoritative()) {
      pending.add(new KeyAccessEvent.DataKeysPurged(now, cause));
    }
  }

  // ------------------------------------------------------------------ local observations

  /**
   * At the end of the grace period: one more probe, whatever the backoff says; only if it is
   * refused does the guard require a refresh. A transient failure of that probe is retried (every
   * {@link KeyAccessSettings#probeBackoffMin()}) until {@link KeyAccessSettings#probeBackoffMax()}
   * after the deadline, so a blip of the vault at the deadline cannot lock a key restored in time.
   */
  GuardState expireGrace(Instant now, GuardEvents.Pending pending) {
    GuardState s = state;
    if (s.kind() != KeyAccessState.UNAVAILABLE || s.withinGrace(now, settings)
        || s.cause() == LossCause.FLEET_STATE_UNKNOWN) {
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
        LOG.atInfo().setMessage("cmk.key.recovered-at-deadline").addKeyValue("key", keyText())
            .addKeyValue("lostSince", s.since()).log();
        return state;
      }
      if (outcome == Outcome.TRANSIENT
          && now.isBefore(deadline.plus(settings.probeBackoffMax()))) {
        deadlineRetryOf = s.since();
        return state;
      }
      s = state;
      if (s.kind() != KeyAccessState.UNAVAILABLE) {
        return s; // the fleet's record decided meanwhile
      }
    }
    GuardState locked = s.refreshRequired();
    transition(s, locked, now, pending, true);
    LOG.atError().setMessage("cmk.key.refresh-required").addKeyValue("key", keyText())
        .addKeyValue("cause", s.cause()).addKeyValue("since", s.since()).log();
    return state;
  }

  /**
   * Probe: describes the configured key (policy, rotation) and unwraps the canary under the write
   * version (a new canary after a rotation or while unavailable), so a confirmation proves the
   * identity may still unwrap; recovers if unavailable.
   */
  Outcome probe(Instant now, GuardEvents.Pending pending) {
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
        trip(LossCause.of(e), e.getMessage(), now, now, pending);
      } else {
        state = s.backedOff(LossCause.of(e), e.getMessage(), now, settings);
      }
      return Outcome.DENIED;
    }
  }

  private void setAvailable(KeyReference version, Instant now, GuardEvents.Pending pending) {
    becomeAvailable(version, now, pending, true);
  }

  private void setAvailableQuietly(KeyReference version, Instant now,
      GuardEvents.Pending pending) {
    becomeAvailable(version, now, pending, false);
  }

  private void becomeAvailable(KeyReference version, Instant now, GuardEvents.Pending pending,
      boolean record) {
    GuardState s = state;
    if (s.currentVersion() == null || !s.currentVersion().equals(version)) {
      pending.add(new KeyAccessEvent.RotationPickedUp(now, s.currentVersion(), version));
      LOG.atInfo().setMessage("cmk.key.rotation-picked-up").addKeyValue("key", keyText())
          .addKeyValue("from", s.currentVersion()).addKeyValue("to", version).log();
    }
    transition(s, s.confirmed(version, now, settings), now, pending, record);
  }

  void trip(LossCause cause, @Nullable String error, Instant since, Instant now,
      GuardEvents.Pending pending) {
    GuardState s = state;
    transition(s, s.lost(cause, error, since, now, settings), now, pending, true);
    LOG.atError().setMessage("cmk.key.unavailable").addKeyValue("key", keyText())
        .addKeyValue("cause", cause).addKeyValue("error", error).log();
    if (cause.isAuthoritative()) {
      // The purge itself runs in publish(), outside the lock (lock ordering with the data-key
      // holders); the state is already UNAVAILABLE, so no read can use a cached key meanwhile.
      pending.add(new KeyAccessEvent.DataKeysPurged(now, cause));
    }
  }

  void transientFailure(KeyProviderException e, Instant now, GuardEvents.Pending pending) {
    GuardState s = state;
    if (s.kind() != KeyAccessState.AVAILABLE) {
      state = s.backedOff(LossCause.PROVIDER_UNAVAILABLE, e.getMessage(), now, settings);
      return;
    }
    GuardState streak = s.transientStreak(e.getMessage(), now,
        now.plus(calls.nextProbeDelay(e, settings.probeBackoffMin())));
    LOG.atWarn().setMessage("cmk.key.transient-failure").addKeyValue("key", keyText())
        .addKeyValue("since", streak.transientSince()).addKeyValue("error", e.getMessage()).log();
    state = streak;
    tripIfTransientTooLong(now, pending);
  }

  /**
   * Trips when transient failures have kept the key unconfirmed for longer than probe interval +
   * trip threshold; checked on every operation, so throttling cannot postpone it.
   */
  void tripIfTransientTooLong(Instant now, GuardEvents.Pending pending) {
    GuardState s = state;
    if (config != null && s.unconfirmedTooLong(now, settings)) {
      trip(LossCause.PROVIDER_UNAVAILABLE, s.lastError(), s.transientSince(), now, pending);
    }
  }

  /**
   * Swaps the state; a change of kind is an event and, with {@code record}, news for the fleet
   * (written at once; a lost race or an outage is reconciled at the next read).
   */
  private void transition(GuardState from, GuardState to, Instant now,
      GuardEvents.Pending pending, boolean record) {
    state = to;
    if (from.kind() == to.kind()) {
      return;
    }
    KeyReference key = config == null ? null : config.key();
    pending.add(new KeyAccessEvent.StateChanged(now,
        from.toStatus(now, settings, key), to.toStatus(now, settings, key)));
    LOG.atInfo().setMessage("cmk.key.state-changed").addKeyValue("key", keyText())
        .addKeyValue("from", from.kind()).addKeyValue("to", to.kind())
        .addKeyValue("cause", to.cause()).log();
    if (record && fleet.enabled() && fleet.known()) {
      fleet.changedLocally();
      try {
        if (!fleet.write(to, now)) {
          reconcile(fleet.read(now), now, pending, () -> config);
        }
      } catch (FleetStateUnavailableException e) {
        // stays unrecorded; written at the next read
      }
    }
  }

  String keyText() {
    KeyConfiguration c = config;
    return c == null ? "-" : c.key().toString();
  }

}
