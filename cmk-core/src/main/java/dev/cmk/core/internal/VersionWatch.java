package dev.cmk.core.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.KekOperation;
import dev.cmk.core.KeyAccessSettings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Keeps cached data keys honest about the key-encryption key versions that wrapped them, for every
 * version except the configured write version (which the guard itself confirms).
 *
 * <ul>
 *   <li><b>Confirmed versions</b>: a version is watched from its first successful unwrap or wrap,
 *       which also gives it a <em>sample</em>: a wrapped key known to be good. A cached data key
 *       under it serves reads only while the version's last confirmation is younger than {@link
 *       KeyAccessSettings#reconfirmAfter()}; the first read after that unwraps the sample again
 *       (one call per version per interval, single-flight; reads of other versions do not wait).
 *       An unwrap, not a describe: it proves the identity may still unwrap, which a describe does
 *       not. A version whose sample is refused (disabled, expired, deleted, forbidden) has every
 *       cached data key under it destroyed, and its reads fail fast with the provider's
 *       classification until a re-check (after {@link KeyAccessSettings#probeBackoffMin()},
 *       doubling to {@link KeyAccessSettings#probeBackoffMax()}) succeeds — no refresh needed.
 *   <li><b>Transient trouble</b>: when the re-check fails transiently, cached keys keep serving
 *       until the confirmation is older than {@code probeInterval + transientTripThreshold}; after
 *       that reads of the version fail with {@link KeyProviderUnavailableException}. A {@code
 *       Retry-After} never delays the next attempt beyond {@code probeBackoffMax}.
 *   <li><b>Refused envelopes</b>: the envelope names the wrapped key, the version and the wrap
 *       algorithm, so one envelope's refusal says nothing certain about its version. A refused
 *       wrapped key is remembered (bounded, by its exact bytes) so that repeating the envelope costs
 *       one provider call per back-off period; a watched version it names is re-checked through its
 *       own sample ({@link #suspect}), at most every 5 seconds, and only that decides.
 * </ul>
 *
 * <p>Confirmed entries are created only by successful provider calls, so their number is bounded
 * by the key versions the identity can really use; refused wrapped keys are bounded by {@value
 * #MAX_REFUSED} (the oldest are forgotten, which only costs a provider call).
 *
 * <p><b>Thread safety:</b> lock-free on the fast path (a fresh confirmation); transitions of one
 * version are serialized on its entry. Observers and purges run outside every entry lock. Nothing
 * here runs inside the data-key cache's loader except {@link #checkNotRefused} and {@link
 * #confirmed}, which neither purge nor call a provider.
 */
public final class VersionWatch {
  /** Most refused wrapped keys remembered. */
  public static final int MAX_REFUSED = 4096;
  private static final Duration MIN_SUSPECT_SPACING = Duration.ofSeconds(5);

  /** Told when a watched version becomes unusable or usable again (events, logs). */
  public interface Observer {
    /** {@code version} was found unusable for {@code why}; its cached data keys are destroyed. */
    void unusable(KeyVersionId version, KeyProviderException why, Instant at);

    /** {@code version}, found unusable before, was confirmed usable again. */
    void usableAgain(KeyVersionId version, Instant at);
  }

  private final Clock clock;
  private final KeyAccessSettings settings;
  private final Function<WrappedKey, KeyEncryptionKeyProvider> providers;
  private final ProviderCalls calls;
  private final Consumer<KeyVersionId> purge;
  private volatile Observer observer = new Observer() {
    @Override
    public void unusable(KeyVersionId version, KeyProviderException why, Instant at) {}

    @Override
    public void usableAgain(KeyVersionId version, Instant at) {}
  };
  private final ConcurrentHashMap<KeyVersionId, Entry> confirmed = new ConcurrentHashMap<>();
  private final Cache<WrappedKey, Denial> refused =
      Caffeine.newBuilder().maximumSize(MAX_REFUSED).executor(Runnable::run).build();

  /**
   * @param providers the configured provider for a wrapped key (throws if none)
   * @param purge destroys every cached data key under a version
   */
  public VersionWatch(Clock clock, KeyAccessSettings settings,
      Function<WrappedKey, KeyEncryptionKeyProvider> providers, ProviderCalls calls,
      Consumer<KeyVersionId> purge) {
    this.clock = clock;
    this.settings = settings;
    this.providers = providers;
    this.calls = calls;
    this.purge = purge;
  }

  /** {@return how this watch calls providers; the guard's version reports call through it too} */
  public ProviderCalls calls() {
    return calls;
  }

  /** Sets who hears about transitions (set once, before use). */
  public void observer(Observer observer) {
    this.observer = observer;
  }

  /** An unusable state: the provider's answer and when to ask again. */
  private record Denial(KeyProviderException why, Instant at, Instant recheckAt, Duration backoff) {

    /** A fresh exception for one refused read (the original is its cause). */
    KeyProviderException refusal(String reference) {
      String message = "key version " + reference + " was refused at " + at
          + "; asked again from " + recheckAt;
      if (why instanceof KeyNotFoundException) {
        return new KeyNotFoundException(message, null, why);
      }
      KeyAccessDeniedException.Reason reason = why instanceof KeyAccessDeniedException
          ? ((KeyAccessDeniedException) why).reason()
          : KeyAccessDeniedException.Reason.UNSPECIFIED;
      return new KeyAccessDeniedException(message, reason, null, why);
    }

    Denial again(KeyProviderException next, Instant now, Duration max) {
      Duration b = backoff.multipliedBy(2);
      b = b.compareTo(max) > 0 ? max : b;
      return new Denial(next, now, now.plus(b), b);
    }
  }

  /** What is known about one confirmed version. Fields change only under the entry's lock. */
  private static final class Entry {
    final WrappedKey sample; // a wrapped key of this version that unwrapped (public data)
    volatile Instant confirmedAt;
    volatile @Nullable Denial denial; // non-null while unusable
    @Nullable Instant transientSince; // non-null while re-checks fail transiently
    @Nullable Instant nextAttemptAt; // earliest re-check after a transient failure

    Entry(WrappedKey sample, Instant confirmedAt) {
      this.sample = sample;
      this.confirmedAt = confirmedAt;
    }
  }

  /**
   * Before a data key of {@code version} serves a read (or an open stream's next segment).
   *
   * @throws KeyProviderException if the version is known unusable, or was found so now
   */
  public void checkReadable(KeyVersionId version) {
    Entry e = confirmed.get(version);
    if (e == null) {
      return; // nothing cached under it: the unwrap decides
    }
    Instant now = clock.instant();
    if (e.denial == null && now.isBefore(e.confirmedAt.plus(settings.reconfirmAfter()))) {
      return;
    }
    onEntry(version, (entry, at) -> recheck(version, entry, at));
  }

  /**
   * Before unwrapping {@code wrapped} (inside the cache's loader: no purge, no provider call).
   *
   * @throws KeyProviderException if this exact wrapped key was refused recently
   */
  public void checkNotRefused(WrappedKey wrapped) {
    Denial d = refused.getIfPresent(wrapped);
    if (d != null && clock.instant().isBefore(d.recheckAt())) {
      throw d.refusal(wrapped.keyReference().toString());
    }
  }

  /**
   * After a successful unwrap or wrap of {@code wrapped} that started at {@code startedAt}. A
   * call that started before the version was found unusable does not undo that finding.
   */
  public void confirmed(WrappedKey wrapped, Instant startedAt) {
    KeyVersionId version = KeyVersionId.of(wrapped);
    Entry e = confirmed.computeIfAbsent(version, k -> new Entry(wrapped, startedAt));
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
   * The provider authoritatively refused to unwrap {@code wrapped} (an envelope's key): repeats of
   * it are refused without a provider call until a back-off passes. Says nothing about its
   * version by itself (the envelope chose the bytes and the algorithm). Only a refusal after the
   * back-off (a provider call) doubles it; the repeats refused within it (no call) leave it as it
   * is, or an envelope requested more often than the longest back-off would never be asked again.
   */
  public void refusedEnvelope(WrappedKey wrapped, KeyProviderException why) {
    Instant now = clock.instant();
    refused.asMap().merge(wrapped, first(why, now),
        (prev, next) -> now.isBefore(prev.recheckAt()) ? prev : prev.again(why, now, max()));
  }

  /**
   * An envelope under watched {@code version} was refused: re-check the version through its own
   * sample (at most every 5 seconds per version) — only that can make it unusable. Runs a
   * provider call; never call it under a lock or inside the cache's loader.
   */
  public void suspect(KeyVersionId version) {
    onEntry(version, (e, now) -> e.denial != null
        || now.isBefore(e.confirmedAt.plus(MIN_SUSPECT_SPACING))
        ? null : unwrapSample(version, e, now, false));
  }

  /**
   * The provider itself said {@code version} is unusable (a describe by the guard): destroys its
   * cached data keys and refuses its reads until a re-check succeeds.
   */
  public void foundUnusable(KeyVersionId version, KeyProviderException why) {
    onEntry(version, (e, now) -> markUnusable(e, why, now, null));
  }

  /**
   * Runs {@code step} on {@code version}'s entry (if watched) under the entry's lock, then its
   * transition (purge, observer, refusal) outside it; a null transition does nothing.
   */
  private void onEntry(KeyVersionId version,
      java.util.function.BiFunction<Entry, Instant, Transition> step) {
    Entry e = confirmed.get(version);
    if (e == null) {
      return;
    }
    Instant now = clock.instant();
    Transition t;
    synchronized (e) {
      t = step.apply(e, now);
    }
    if (t != null) {
      t.finish(version, now);
    }
  }

  // ------------------------------------------------------------------ transitions (entry lock)

  /** What to do once the entry's lock is released. */
  private final class Transition {
    final @Nullable KeyProviderException unusable; // newly unusable: purge, tell
    final boolean usableAgain;
    final @Nullable KeyProviderException refuse; // throw at the end

    Transition(@Nullable KeyProviderException unusable, boolean usableAgain,
        @Nullable KeyProviderException refuse) {
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
      return transition(null, false, d.refusal(version.reference()));
    }
    if (d == null && now.isBefore(e.confirmedAt.plus(settings.reconfirmAfter()))) {
      return transition(null, false, null); // another thread confirmed it meanwhile
    }
    if (d == null && e.nextAttemptAt != null && now.isBefore(e.nextAttemptAt)) {
      return transition(null, false, unconfirmedTooLong(version, e, now));
    }
    return unwrapSample(version, e, now, true);
  }

  /** Unwraps the entry's sample: the version's confirmation. */
  private Transition unwrapSample(KeyVersionId version, Entry e, Instant now, boolean forRead) {
    Denial d = e.denial;
    try {
      KeyEncryptionKeyProvider p = providers.apply(e.sample);
      SecretBytes back = calls.call(p.id(), KekOperation.UNWRAP, () -> p.unwrap(e.sample));
      back.destroy();
    } catch (KeyProviderException ex) {
      if (ex.isAuthoritative()) {
        return markUnusable(e, ex, now, forRead ? ex : null);
      }
      if (d != null) {
        // Still refused: keep refusing until the provider answers (its keys are already gone).
        e.denial = new Denial(d.why(), d.at(), now.plus(calls.nextProbeDelay(ex,
            settings.probeBackoffMin())), d.backoff());
        return transition(null, false, forRead ? e.denial.refusal(version.reference()) : null);
      }
      if (e.transientSince == null) {
        e.transientSince = now;
      }
      e.nextAttemptAt = now.plus(calls.nextProbeDelay(ex, settings.probeBackoffMin()));
      return transition(null, false, forRead ? unconfirmedTooLong(version, e, now) : null);
    } catch (InvalidCiphertextException impossible) {
      // The sample unwrapped before: a provider answering otherwise now is not trustworthy.
      KeyProviderException ex = new KeyProviderUnavailableException(
          "the key version's known-good sample no longer unwraps", null, null);
      e.transientSince = e.transientSince == null ? now : e.transientSince;
      e.nextAttemptAt = now.plus(settings.probeBackoffMin());
      return transition(null, false, forRead ? ex : null);
    }
    e.confirmedAt = now;
    e.denial = null;
    e.transientSince = null;
    e.nextAttemptAt = null;
    return transition(null, d != null, null);
  }

  private Transition transition(@Nullable KeyProviderException unusable, boolean again,
      @Nullable KeyProviderException refuse) {
    return new Transition(unusable, again, refuse);
  }

  /**
   * Marks the entry unusable; the transition purges (every time: a read that started before an
   * earlier finding may have cached a key since) and tells the observer, then throws {@code
   * refuse} if non-null.
   */
  private Transition markUnusable(Entry e, KeyProviderException why, Instant now,
      @Nullable KeyProviderException refuse) {
    Denial d = e.denial;
    e.denial = d == null ? first(why, now) : d.again(why, now, max());
    e.transientSince = null;
    e.nextAttemptAt = null;
    return transition(why, false, refuse);
  }

  private Denial first(KeyProviderException why, Instant now) {
    Duration b = settings.probeBackoffMin();
    return new Denial(why, now, now.plus(b), b);
  }

  private Duration max() {
    return settings.probeBackoffMax();
  }

  /** A refusal once the version has gone unconfirmed longer than probe interval + threshold. */
  private @Nullable KeyProviderException unconfirmedTooLong(
      KeyVersionId version, Entry e, Instant now) {
    Instant limit = e.confirmedAt.plus(settings.probeInterval())
        .plus(settings.transientTripThreshold());
    if (now.isBefore(limit)) {
      return null;
    }
    return new KeyProviderUnavailableException("the state of key version " + version.reference()
        + " could not be confirmed since " + e.confirmedAt + "; refusing to use its cached data"
        + " keys", null, null);
  }
}
