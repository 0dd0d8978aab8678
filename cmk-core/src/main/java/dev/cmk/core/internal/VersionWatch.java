package dev.cmk.core.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.KeyAccessSettings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Keeps cached data keys honest about the key-encryption key versions that wrapped them, for every
 * version except the configured write version (which the guard itself confirms).
 *
 * <ul>
 *   <li><b>Confirmed versions</b>: a version is watched from its first successful unwrap or wrap.
 *       A cached data key under it serves reads only while the version's last confirmation is
 *       younger than {@link KeyAccessSettings#probeInterval()}; the first read after that asks the
 *       provider ({@code describe}, one call per version per interval, single-flight; reads of
 *       other versions do not wait). A version found disabled, expired, without {@code
 *       unwrapKey}, deleted or forbidden has every cached data key under it destroyed, and its
 *       reads fail fast with the provider's classification until a re-check (after {@link
 *       KeyAccessSettings#probeBackoffMin()}, doubling to {@link
 *       KeyAccessSettings#probeBackoffMax()}) finds it usable again — no refresh needed.
 *   <li><b>Transient trouble</b>: when the re-check fails transiently, cached keys keep serving
 *       until the confirmation is older than {@code probeInterval + transientTripThreshold}; after
 *       that reads of the version fail with {@link KeyProviderUnavailableException}. A {@code
 *       Retry-After} never delays the next attempt beyond {@code probeBackoffMax}.
 *   <li><b>Refused versions</b> that never unwrapped here (a forged or foreign envelope naming a key
 *       the identity may not use) are remembered in a bounded table, so repeating the envelope
 *       costs one provider call per back-off period, not one per request. They never affect other
 *       versions.
 * </ul>
 *
 * <p>Confirmed entries are created only by successful provider calls, so their number is bounded
 * by the key versions the identity can really use; refused entries are bounded by {@value
 * #MAX_REFUSED} (the oldest are forgotten, which only costs a provider call).
 *
 * <p><b>Thread safety:</b> lock-free on the fast path (a fresh confirmation); transitions of one
 * version are serialized on its entry. Observers are told outside every lock.
 */
public final class VersionWatch {
  /** Most refused, never-confirmed versions remembered. */
  public static final int MAX_REFUSED = 4096;

  /** Told when a watched version becomes unusable or usable again (events, logs). */
  public interface Observer {
    /** {@code version} was found unusable for {@code why}; its cached data keys are destroyed. */
    void unusable(KeyVersionId version, KeyProviderException why, Instant at);

    /** {@code version}, found unusable before, was confirmed usable again. */
    void usableAgain(KeyVersionId version, Instant at);
  }

  private final Clock clock;
  private final KeyAccessSettings settings;
  private final Function<String, KeyEncryptionKeyProvider> providers;
  private final ProviderCalls calls;
  private final Consumer<KeyVersionId> purge;
  private volatile Observer observer = new Observer() {
    @Override
    public void unusable(KeyVersionId version, KeyProviderException why, Instant at) {}

    @Override
    public void usableAgain(KeyVersionId version, Instant at) {}
  };
  private final ConcurrentHashMap<KeyVersionId, Entry> confirmed = new ConcurrentHashMap<>();
  private final Cache<KeyVersionId, Denial> refused =
      Caffeine.newBuilder().maximumSize(MAX_REFUSED).executor(Runnable::run).build();

  /**
   * @param providers the configured provider for an id (throws if none)
   * @param purge destroys every cached data key under a version
   */
  public VersionWatch(Clock clock, KeyAccessSettings settings,
      Function<String, KeyEncryptionKeyProvider> providers, ProviderCalls calls,
      Consumer<KeyVersionId> purge) {
    this.clock = clock;
    this.settings = settings;
    this.providers = providers;
    this.calls = calls;
    this.purge = purge;
  }

  /** Sets who hears about transitions (set once, before use). */
  public void observer(Observer observer) {
    this.observer = observer;
  }

  /** A version's unusable state: the provider's answer and when to ask again. */
  private record Denial(KeyProviderException why, Instant at, Instant recheckAt, Duration backoff) {

    /** A fresh exception for one refused read (the original is its cause). */
    KeyProviderException refusal(KeyVersionId v) {
      KeyReference ref = why.keyReference().orElse(null);
      String message = "key version " + v.reference() + " was found unusable at " + at
          + "; checked again from " + recheckAt;
      if (why instanceof KeyNotFoundException) {
        return new KeyNotFoundException(message, null, why);
      }
      if (why instanceof KeyAccessDeniedException) {
        return new KeyAccessDeniedException(message,
            ((KeyAccessDeniedException) why).reason(), null, why);
      }
      return new KeyAccessDeniedException(message, KeyAccessDeniedException.Reason.UNSPECIFIED,
          ref, why);
    }

    Denial again(KeyProviderException next, Instant now, Duration max) {
      Duration b = backoff.multipliedBy(2);
      b = b.compareTo(max) > 0 ? max : b;
      return new Denial(next, now, now.plus(b), b);
    }
  }

  /** What is known about one confirmed version. Fields change only under the entry's lock. */
  private static final class Entry {
    volatile Instant confirmedAt;
    volatile Denial denial; // non-null while unusable
    Instant transientSince; // non-null while re-checks fail transiently
    Instant nextAttemptAt; // earliest re-check after a transient failure

    Entry(Instant confirmedAt) {
      this.confirmedAt = confirmedAt;
    }
  }

  /**
   * Before a data key of {@code version} serves a read (or an open stream's next segment).
   *
   * @throws KeyProviderException if the version is known unusable, or was found so now
   */
  public void checkReadable(KeyVersionId version) {
    Instant now = clock.instant();
    Entry e = confirmed.get(version);
    if (e == null) {
      Denial d = refused.getIfPresent(version);
      if (d != null && now.isBefore(d.recheckAt())) {
        throw d.refusal(version);
      }
      return; // nothing cached under it: the unwrap decides
    }
    if (e.denial == null && now.isBefore(e.confirmedAt.plus(settings.probeInterval()))) {
      return;
    }
    Transition t;
    synchronized (e) {
      t = recheck(version, e, now);
    }
    t.finish(version, now);
  }

  /**
   * After a successful unwrap or wrap under {@code version} that started at {@code startedAt}.
   * A call that started before the version was found unusable does not undo that finding.
   */
  public void confirmed(KeyVersionId version, Instant startedAt) {
    refused.invalidate(version);
    Entry e = confirmed.computeIfAbsent(version, k -> new Entry(startedAt));
    boolean again;
    synchronized (e) {
      Denial d = e.denial;
      if (d != null && startedAt.isBefore(d.at())) {
        return;
      }
      again = d != null;
      if (startedAt.isAfter(e.confirmedAt)) {
        e.confirmedAt = startedAt;
      }
      e.denial = null;
      e.transientSince = null;
      e.nextAttemptAt = null;
    }
    if (again) {
      observer.usableAgain(version, startedAt);
    }
  }

  /**
   * After the provider authoritatively refused {@code version} (unwrap, or a describe by the
   * guard): destroys its cached data keys and refuses its reads until a re-check.
   *
   * @return the exception for the refused request
   */
  public KeyProviderException refused(KeyVersionId version, KeyProviderException why) {
    Instant now = clock.instant();
    Entry e = confirmed.get(version);
    if (e == null) {
      Denial prev = refused.getIfPresent(version);
      refused.put(version, prev == null ? first(why, now) : prev.again(why, now, max()));
      return why;
    }
    Transition t;
    synchronized (e) {
      t = markUnusable(e, why, now, null);
    }
    t.finish(version, now);
    return why;
  }

  /** Whether {@code version} is currently known unusable (diagnostics and tests). */
  public boolean isKnownUnusable(KeyVersionId version) {
    Entry e = confirmed.get(version);
    return e != null ? e.denial != null : refused.getIfPresent(version) != null;
  }

  // ------------------------------------------------------------------ transitions (entry lock)

  /** What to do once the entry's lock is released. */
  private final class Transition {
    final KeyProviderException unusable; // newly unusable: purge, tell, throw
    final boolean usableAgain;
    final KeyProviderException refuse; // throw without further action

    Transition(KeyProviderException unusable, boolean usableAgain, KeyProviderException refuse) {
      this.unusable = unusable;
      this.usableAgain = usableAgain;
      this.refuse = refuse;
    }

    void finish(KeyVersionId version, Instant now) {
      if (unusable != null) {
        purge.accept(version);
        observer.unusable(version, unusable, now);
      }
      if (usableAgain) {
        observer.usableAgain(version, now);
      }
      if (refuse != null) {
        throw refuse;
      }
    }
  }

  private Transition recheck(KeyVersionId version, Entry e, Instant now) {
    Denial d = e.denial;
    if (d != null && now.isBefore(d.recheckAt())) {
      return new Transition(null, false, d.refusal(version));
    }
    if (d == null && now.isBefore(e.confirmedAt.plus(settings.probeInterval()))) {
      return new Transition(null, false, null); // another thread confirmed it meanwhile
    }
    if (d == null && e.nextAttemptAt != null && now.isBefore(e.nextAttemptAt)) {
      return new Transition(null, false, unconfirmedTooLong(version, e, now));
    }
    KeyDescription description;
    try {
      KeyReference ref = KeyReference.parse(version.reference());
      KeyEncryptionKeyProvider p = providers.apply(version.providerId());
      description = calls.call(() -> p.describe(ref));
    } catch (KeyProviderException ex) {
      if (ex.isAuthoritative()) {
        return markUnusable(e, ex, now, ex);
      }
      if (d != null) {
        // Still refused: keep refusing until the provider answers (no purge needed: done).
        e.denial = new Denial(d.why(), d.at(), now.plus(calls.nextProbeDelay(ex,
            settings.probeBackoffMin())), d.backoff());
        return new Transition(null, false, e.denial.refusal(version));
      }
      if (e.transientSince == null) {
        e.transientSince = now;
      }
      e.nextAttemptAt = now.plus(calls.nextProbeDelay(ex, settings.probeBackoffMin()));
      return new Transition(null, false, unconfirmedTooLong(version, e, now));
    }
    KeyAccessDeniedException unusable = unusable(description, now);
    if (unusable != null) {
      return markUnusable(e, unusable, now, unusable);
    }
    e.confirmedAt = now;
    e.denial = null;
    e.transientSince = null;
    e.nextAttemptAt = null;
    return new Transition(null, d != null, null);
  }

  /**
   * Marks the entry unusable; the transition purges (every time: a read that started before an
   * earlier finding may have cached a key since) and tells the observer, then throws {@code
   * refuse} if non-null.
   */
  private Transition markUnusable(Entry e, KeyProviderException why, Instant now,
      KeyProviderException refuse) {
    Denial d = e.denial;
    e.denial = d == null ? first(why, now) : d.again(why, now, max());
    e.transientSince = null;
    e.nextAttemptAt = null;
    return new Transition(why, false, refuse);
  }

  private Denial first(KeyProviderException why, Instant now) {
    Duration b = settings.probeBackoffMin();
    return new Denial(why, now, now.plus(b), b);
  }

  private Duration max() {
    return settings.probeBackoffMax();
  }

  /** A refusal once the version has gone unconfirmed longer than probe interval + threshold. */
  private KeyProviderException unconfirmedTooLong(KeyVersionId version, Entry e, Instant now) {
    Instant limit = e.confirmedAt.plus(settings.probeInterval())
        .plus(settings.transientTripThreshold());
    if (now.isBefore(limit)) {
      return null;
    }
    return new KeyProviderUnavailableException("the state of key version " + version.reference()
        + " could not be confirmed since " + e.confirmedAt + "; refusing to use its cached data"
        + " keys", null, null);
  }

  /** Why a described version cannot unwrap now, or null when it can. */
  public static KeyAccessDeniedException unusable(KeyDescription d, Instant now) {
    if (!d.enabled()) {
      return new KeyAccessDeniedException("key version is disabled",
          KeyAccessDeniedException.Reason.KEY_DISABLED, d.reference());
    }
    if (!d.isValidAt(now)) {
      return new KeyAccessDeniedException("key version is outside its validity window",
          KeyAccessDeniedException.Reason.KEY_NOT_VALID_NOW, d.reference());
    }
    if (!d.operations().contains(KeyOperation.UNWRAP_KEY)) {
      return new KeyAccessDeniedException("key version does not permit unwrapKey",
          KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED, d.reference());
    }
    return null;
  }
}
