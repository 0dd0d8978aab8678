package dev.cmk.core;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.GuardEvents.Pending;
import dev.cmk.core.internal.KeyVersionId;
import dev.cmk.core.internal.VersionWatch;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guard's watch over key versions other than the one it writes under: at every probe it
 * re-describes the configured key's older versions that decrypted within {@link
 * KeyAccessSettings#recentUseWindow()}, hands the unusable ones to the {@link VersionWatch}
 * (which destroys their cached data keys), and raises {@link KeyAccessEvent.VersionUnavailable}
 * once per version that was in recent use, whoever found it unusable.
 *
 * <p>Thread-safe; its own lock guards the set of versions already reported, so the watch can
 * report without taking the guard's lock.
 */
final class VersionReports implements VersionWatch.Observer {
  private static final Logger LOG = LoggerFactory.getLogger(KeyAccessGuard.class);

  private final KeyAccessSettings settings;
  private final KeyVersionInventory inventory;
  private final VersionWatch watch;
  private final GuardEvents events;
  private final Set<String> reported = new HashSet<>(); // guarded by this

  VersionReports(KeyAccessSettings settings, KeyVersionInventory inventory, VersionWatch watch,
      GuardEvents events) {
    this.settings = settings;
    this.inventory = inventory;
    this.watch = watch;
    this.events = events;
  }

  /**
   * Describes the recently used older versions of {@code config}'s key (called from a probe,
   * under the guard's lock); unusable ones go to the watch after the lock is released.
   */
  void checkRecentlyUsed(KeyConfiguration config, KeyReference current, Instant now,
      Pending pending) {
    KeyEncryptionKeyProvider provider = config.provider();
    for (KeyVersionInventory.Usage u : inventory.versions()) {
      if (u.lastSeen() == null || u.version().equals(current)
          || !u.version().sameKeyAs(config.key())
          || u.lastSeen().isBefore(now.minus(settings.recentUseWindow()))) {
        continue;
      }
      KeyVersionId id = new KeyVersionId(provider.id(), u.version().toString());
      try {
        KeyDescription d = watch.calls().once(provider.id(), KekOperation.DESCRIBE,
            () -> provider.describe(u.version()));
        Optional<KeyAccessDeniedException> unusable = d.refusal(KeyOperation.UNWRAP_KEY, now);
        if (unusable.isEmpty()) {
          forget(u.version().toString());
        } else {
          pending.after(() -> watch.foundUnusable(id, unusable.get()));
        }
      } catch (KeyProviderException e) {
        if (e.isAuthoritative()) {
          pending.after(() -> watch.foundUnusable(id, e));
        }
      }
    }
  }

  @Override
  public void unusable(KeyVersionId version, KeyProviderException why, Instant at) {
    KeyReference ref;
    try {
      ref = KeyReference.parse(version.reference());
    } catch (IllegalArgumentException notAReference) {
      return;
    }
    Instant lastSeen = inventory.lastSeen(ref.toString());
    if (lastSeen == null || lastSeen.isBefore(at.minus(settings.recentUseWindow()))) {
      return;
    }
    synchronized (this) {
      if (!reported.add(ref.toString())) {
        return;
      }
    }
    LossCause cause = LossCause.of(why);
    LOG.atWarn().setMessage("cmk.key.version-unavailable")
        .addKeyValue("version", ref)
        .addKeyValue("cause", cause)
        .addKeyValue("lastSeen", lastSeen)
        .log();
    Pending pending = new Pending();
    pending.add(new KeyAccessEvent.VersionUnavailable(at, ref, cause, lastSeen));
    events.publish(pending);
  }

  @Override
  public void usableAgain(KeyVersionId version, Instant at) {
    forget(version.reference());
    LOG.atInfo().setMessage("cmk.key.version-usable-again")
        .addKeyValue("version", version.reference())
        .log();
  }

  private synchronized void forget(String reference) {
    reported.remove(reference);
  }
}
