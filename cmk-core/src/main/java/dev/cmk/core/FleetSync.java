package dev.cmk.core;

import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetRecord;
import dev.cmk.core.fleet.FleetStateStore;
import dev.cmk.core.fleet.FleetStateUnavailableException;
import dev.cmk.core.fleet.FleetView;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

/**
 * The guard's link to the fleet's shared key-access state: what it last read or wrote, the
 * refresh generation it is at, whether a local change still has to be recorded, and when the next
 * read is due. It reads at most once per {@link KeyAccessSettings#reconfirmAfter()} and writes
 * once per local state change (plus a retry after a lost race or an outage); never per request.
 * The decisions are {@link GuardMachine}'s. Not thread-safe: used under the guard's lock.
 */
final class FleetSync {
  private static final Logger LOG = LoggerFactory.getLogger(KeyAccessGuard.class);

  private final FleetStateStore store; // null: no fleet (single instance)
  private final String replica;
  private final KeyAccessSettings settings;

  private @Nullable String keyId;
  private @Nullable String revision; // of the last record read or written, null if none
  private long generation;
  private boolean known; // the store has answered since the start
  private boolean unrecorded; // a local change the store has not taken yet
  private Instant nextReadAt = Instant.MIN;
  private boolean lastReadChanged; // the last read found a revision this instance had not seen
  private long reads;
  private long writes;

  FleetSync(FleetStateStore store, String replica, KeyAccessSettings settings) {
    this.store = store;
    this.replica = replica;
    this.settings = settings;
  }

  boolean enabled() {
    return store != null;
  }

  /** Binds to the configured key (its versionless reference is the record's id). */
  void bind(KeyConfiguration config) {
    String before = keyId;
    rebind(config);
    if (!keyId.equals(before)) {
      known = false; // another record: not read yet
    }
  }

  /**
   * Follows a refresh that moved the service to another key: the new key's record from now on
   * (read at once), keeping the generation and what is known of the store.
   */
  void rebind(KeyConfiguration config) {
    String id = config.key().versionless().toString();
    if (!id.equals(keyId)) {
      keyId = FleetStateStore.checkKeyId(id);
      revision = null;
      nextReadAt = Instant.MIN;
    }
  }

  boolean known() {
    return known;
  }

  long generation() {
    return generation;
  }

  void generation(long g) {
    generation = g;
  }

  boolean unrecorded() {
    return unrecorded;
  }

  void changedLocally() {
    unrecorded = true;
  }

  /** The fleet already knows (or overrules) the local state. */
  void settled() {
    unrecorded = false;
  }

  /**
   * Whether the last read found a record other than the one this instance last read or wrote
   * (another replica wrote since).
   */
  boolean lastReadChanged() {
    return lastReadChanged;
  }

  boolean readDue(Instant now) {
    return enabled() && keyId != null && !now.isBefore(nextReadAt);
  }

  /**
   * Reads the record now.
   *
   * @return the record, empty if none
   * @throws FleetStateUnavailableException if the store cannot answer (the next read is then
   *     due after the minimum probe backoff)
   */
  Optional<FleetRecord> read(Instant now) {
    try {
      reads++;
      Optional<FleetRecord> r = storeRead();
      known = true;
      String seen = revision;
      revision = r.map(FleetRecord::revision).orElse(null);
      lastReadChanged = !Objects.equals(seen, revision);
      nextReadAt = now.plus(settings.reconfirmAfter());
      return r;
    } catch (FleetStateUnavailableException e) {
      nextReadAt = now.plus(settings.probeBackoffMin());
      LOG.atWarn().setMessage("cmk.fleet.read-failed").addKeyValue("key", keyId)
          .addKeyValue("error", e.getMessage()).log();
      throw e;
    }
  }

  /**
   * Writes the local state over the revision last seen.
   *
   * @return true if written; false if another replica wrote first (read again and decide)
   * @throws FleetStateUnavailableException if the store cannot answer (the change stays
   *     unrecorded and is retried at the next read)
   */
  boolean write(GuardState local, Instant now) {
    FleetKeyState next = switch (local.kind()) {
      case AVAILABLE -> FleetKeyState.available(generation, now, replica);
      case UNAVAILABLE -> FleetKeyState.unavailable(generation, local.since(), local.cause(), now,
          replica);
      case REFRESH_REQUIRED -> FleetKeyState.unavailable(generation, local.since(), local.cause(),
          now, replica).refreshRequired(now, replica);
    };
    try {
      writes++;
      Optional<FleetRecord> written = storeReplace(next);
      if (written.isEmpty()) {
        nextReadAt = Instant.MIN; // lost the race: read at once
        return false;
      }
      revision = written.get().revision();
      unrecorded = false;
      LOG.atInfo().setMessage("cmk.fleet.recorded").addKeyValue("key", keyId)
          .addKeyValue("state", next.state()).addKeyValue("generation", generation)
          .addKeyValue("lostSince", next.lostSince()).log();
      return true;
    } catch (FleetStateUnavailableException e) {
      nextReadAt = now.plus(settings.probeBackoffMin());
      LOG.atWarn().setMessage("cmk.fleet.write-failed").addKeyValue("key", keyId)
          .addKeyValue("state", next.state()).addKeyValue("error", e.getMessage()).log();
      throw e;
    }
  }

  /**
   * Records an explicit refresh to {@code next}: the next generation, available, on {@code
   * next}'s record. Reads first (an explicit action may), retries a lost race a few times. If it
   * fails, the binding stays as it was (a refresh that could not be recorded changes nothing).
   *
   * @return the new generation
   * @throws FleetStateUnavailableException if the store cannot record it
   */
  long recordRefresh(KeyConfiguration next, Instant now) {
    String boundKey = keyId;
    String boundRevision = revision;
    boolean boundKnown = known;
    Instant boundNextRead = nextReadAt;
    bind(next);
    boolean recorded = false;
    try {
      for (int attempt = 0; attempt < 5; attempt++) {
        Optional<FleetRecord> r = read(now);
        long g = Math.max(generation, r.map(x -> x.state().generation()).orElse(0L)) + 1;
        writes++;
        Optional<FleetRecord> written = storeReplace(FleetKeyState.available(g, now, replica));
        if (written.isPresent()) {
          revision = written.get().revision();
          generation = g;
          unrecorded = false;
          recorded = true;
          LOG.atInfo().setMessage("cmk.fleet.refresh-recorded").addKeyValue("key", keyId)
              .addKeyValue("generation", g).log();
          if (boundKey != null && !boundKey.equals(keyId)) {
            announceMove(boundKey, g, now);
          }
          return g;
        }
      }
      throw new FleetStateUnavailableException(
          "could not record the refresh: other replicas kept changing the shared state", null);
    } finally {
      if (!recorded && !Objects.equals(boundKey, keyId)) {
        keyId = boundKey; // another key's record: this instance stays with the one it had
        revision = boundRevision;
        known = boundKnown;
        nextReadAt = boundNextRead;
      }
    }
  }

  /**
   * A refresh moved this instance to another key: the previous key's record gets the new
   * generation too, so replicas still bound to it follow the refresh (re-reading their
   * configuration, which names the new key) within one probe interval. Best effort: a replica
   * that misses it keeps the previous key's state, and restarted replicas read the new key's.
   */
  private void announceMove(String previousKey, long g, Instant now) {
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        Optional<FleetRecord> old = store.read(previousKey);
        long next = Math.max(g, old.map(x -> x.state().generation() + 1).orElse(g));
        if (store.replace(previousKey, old.map(FleetRecord::revision).orElse(null),
            FleetKeyState.available(next, now, replica)).isPresent()) {
          return;
        }
      } catch (RuntimeException e) {
        LOG.atWarn().setMessage("cmk.fleet.move-not-announced").addKeyValue("key", previousKey)
            .addKeyValue("error", e.getClass().getName()).log();
        return;
      }
    }
  }

  /**
   * The store's read; a store that breaks its contract by throwing another unchecked exception
   * is taken as unreachable, so the guard's outage handling applies (no request sees it, the
   * next read waits for the backoff, a purge is not skipped).
   */
  private Optional<FleetRecord> storeRead() {
    try {
      return store.read(keyId);
    } catch (FleetStateUnavailableException e) {
      throw e;
    } catch (RuntimeException e) {
      throw broken("read", e);
    }
  }

  private Optional<FleetRecord> storeReplace(FleetKeyState next) {
    try {
      return store.replace(keyId, revision, next);
    } catch (FleetStateUnavailableException e) {
      throw e;
    } catch (RuntimeException e) {
      throw broken("write", e);
    }
  }

  private static FleetStateUnavailableException broken(String what, RuntimeException e) {
    return new FleetStateUnavailableException("the fleet state store failed to " + what + " ("
        + e.getClass().getName() + ")", e);
  }

  /** {@return this instance's view, for status} */
  FleetView view() {
    return new FleetView(keyId, generation, known, unrecorded, reads, writes);
  }

  @Nullable String keyId() {
    return keyId;
  }
}
