package dev.cmk.core;

import dev.cmk.api.KeyProviderException;
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
import java.time.Instant;

/**
 * The engine's view of the key-encryption keys, through the loss-of-access guard: every wrap,
 * unwrap and use of a cached data key is allowed, refused or classified by {@link
 * KeyAccessGuard} (for the configured write key) and {@link VersionWatch} (for every other
 * version). Successful provider calls confirm the version they used.
 *
 * <p>Thread-safe (stateless; the guard and the watch hold the state).
 */
final class GuardedAccess implements KeyAccess {
  private final KeyAccessGuard guard;
  private final Clock clock;
  private final KeyAccessSettings settings;
  private final Providers providers;
  private final ProviderCalls calls;
  private final VersionWatch watch;
  private final KeyVersionInventory inventory;

  GuardedAccess(KeyAccessGuard guard, Clock clock, KeyAccessSettings settings,
      Providers providers, ProviderCalls calls, VersionWatch watch,
      KeyVersionInventory inventory) {
    this.guard = guard;
    this.clock = clock;
    this.settings = settings;
    this.providers = providers;
    this.calls = calls;
    this.watch = watch;
    this.inventory = inventory;
  }

  @Override
  public KeyReference writeVersion() {
    if (!guard.writes()) {
      throw new IllegalStateException("no write key configured: this instance only decrypts");
    }
    return guard.ensureAvailable(true).currentVersion();
  }

  @Override
  public KeyReference versionForNewDataKey(KeyReference version) {
    return settings.strictWrites() ? guard.confirmNow() : version;
  }

  @Override
  public WrappedKey wrap(KeyReference version, SecretBytes dataKey) {
    KeyEncryptionKeyProvider p = guard.configuredProvider();
    Instant started = clock.instant();
    try {
      WrappedKey w = calls.call(p.id(), KekOperation.WRAP, () -> p.wrap(version, dataKey));
      watch.confirmed(w, started);
      return w;
    } catch (KeyProviderException e) {
      throw guard.writeFailed(e);
    }
  }

  /**
   * Runs inside the data-key cache's loader: no probe, no purge, no event here (the guard was
   * asked by {@link #checkReadable} just before); a recently refused wrapped key is refused again
   * without a provider call.
   */
  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    watch.checkNotRefused(wrappedKey);
    KeyEncryptionKeyProvider p =
        providers.serving(wrappedKey.providerId(), wrappedKey.keyReference());
    Instant started = clock.instant();
    SecretBytes key = calls.call(p.id(), KekOperation.UNWRAP, () -> p.unwrap(wrappedKey));
    watch.confirmed(wrappedKey, started);
    guard.unwrapSucceeded(KeyVersionId.of(wrappedKey));
    return key;
  }

  @Override
  public RuntimeException unwrapFailed(WrappedKey wrappedKey, KeyProviderException e) {
    return guard.readFailed(wrappedKey, e);
  }

  @Override
  public void checkReadable(KeyVersionId version) {
    GuardState s = guard.ensureAvailable(false);
    if (!guard.isCurrentWriteVersion(version, s)) {
      watch.checkReadable(version);
    }
  }

  @Override
  public void checkWritable() {
    guard.ensureAvailable(true);
  }

  @Override
  public void recordSeen(String keyReference) {
    inventory.recordSeen(keyReference);
  }

  @Override
  public void recordRewrapped(String keyReference) {
    inventory.recordRewrapped(keyReference);
  }
}
