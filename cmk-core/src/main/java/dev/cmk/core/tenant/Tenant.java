package dev.cmk.core.tenant;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessEvent;
import dev.cmk.core.KeyAccessSettings;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One tenant's slot in the registry: its instance, built on first use outside every shared lock
 * (under this tenant's own lock), or the record of a refresh it needs; the last state its guard
 * reported; and when the shared probe wheel should next look at it.
 *
 * <p>Thread-safe. The last known state is ordered by the time of the guard's transitions, and a
 * tie goes to the state without access, so a late event can only keep a tenant longer, never
 * drop its loss of access.
 */
final class Tenant {
  private static final Duration RECHECK = Duration.ofSeconds(1);

  final String id;
  private final RefreshRequiredRecord record; // non-null: no instance, every request refused
  private volatile @Nullable EnvelopeCrypto crypto;
  private volatile @Nullable KeyAccessSettings settings;
  private @Nullable KeyAccessStatus lastKnown; // guarded by this
  private @Nullable Instant lastKnownAt; // guarded by this
  private volatile Instant nextCheck = Instant.MIN;
  private final AtomicBoolean probing = new AtomicBoolean();
  private final Object buildLock = new Object();
  private boolean closed; // guarded by this

  Tenant(String id) {
    this(id, null);
  }

  Tenant(String id, @Nullable RefreshRequiredRecord record) {
    this.id = id;
    this.record = record;
  }

  /** The record of a refresh this tenant needs (no instance), or null. */
  RefreshRequiredRecord record() {
    return record;
  }

  /** The instance, building it with {@code build} on first use. */
  EnvelopeCrypto crypto(Function<Tenant, EnvelopeCrypto> build) {
    EnvelopeCrypto c = crypto;
    if (c != null) {
      return c;
    }
    if (record != null) {
      throw record.suspended(id);
    }
    synchronized (buildLock) { // this tenant's own lock: requests for it wait for its build
      c = crypto;
      if (c == null) {
        c = build.apply(this);
        boolean evicted;
        synchronized (this) {
          crypto = c;
          evicted = closed;
        }
        if (evicted) {
          c.close(); // evicted while it was being built: usable for this call only
        }
      }
      return c;
    }
  }

  /** The instance if built, else null. */
  @Nullable EnvelopeCrypto builtOrNull() {
    return crypto;
  }

  void settings(KeyAccessSettings s) {
    settings = s;
  }

  /** A guard event of this tenant: keeps its last known state. */
  void onEvent(KeyAccessEvent event) {
    if (event instanceof KeyAccessEvent.StateChanged changed) {
      observe(changed.to(), changed.at());
    }
  }

  /** Records the state read at {@code at}, unless a later one is known already. */
  synchronized void observe(KeyAccessStatus status, Instant at) {
    if (lastKnownAt == null || at.isAfter(lastKnownAt)
        || (at.equals(lastKnownAt) && status.state() != KeyAccessState.AVAILABLE)) {
      lastKnown = status;
      lastKnownAt = at;
    }
  }

  /** The last state the guard reported, or null before the first. */
  synchronized @Nullable KeyAccessStatus lastKnown() {
    return lastKnown;
  }

  @Nullable KeyAccessState lastKnownState() {
    KeyAccessStatus s = lastKnown();
    return s == null ? null : s.state();
  }

  // ------------------------------------------------------------------ probe wheel

  /** Whether the wheel should look at this tenant now (and no probe of it is running). */
  boolean probeDue(Instant now) {
    return crypto != null && !now.isBefore(nextCheck) && probing.compareAndSet(false, true);
  }

  /** After a probe that read {@code s} at {@code now}: when to look again. */
  void probed(KeyAccessStatus s, Instant now) {
    Instant next = now.plus(RECHECK);
    KeyAccessSettings k = settings;
    if (s.state() == KeyAccessState.AVAILABLE && s.lastConfirmed() != null && k != null) {
      Instant due = s.lastConfirmed().plus(k.reconfirmAfter());
      if (due.isAfter(next)) {
        next = due;
      }
    }
    nextCheck = next;
  }

  void probeFailed(Instant now) {
    nextCheck = now.plus(RECHECK);
  }

  void probeDone() {
    probing.set(false);
  }

  // ------------------------------------------------------------------ lifecycle

  /** Destroys the instance's cached data keys; an instance still in use keeps working. */
  void close() {
    EnvelopeCrypto c;
    synchronized (this) {
      closed = true;
      c = crypto;
    }
    if (c != null) {
      c.close();
    }
  }

  @Override
  public String toString() {
    return "Tenant[" + id + ", " + (record != null ? "refresh required" : lastKnownState()) + "]";
  }
}
