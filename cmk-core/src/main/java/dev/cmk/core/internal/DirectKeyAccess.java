package dev.cmk.core.internal;

import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Key access without a loss-of-access guard: calls the providers directly; a versionless write key
 * is re-resolved every {@code refreshInterval}.
 */
public final class DirectKeyAccess implements KeyAccess {
  private final Providers providers;
  private final KeyEncryptionKeyProvider writeProvider;
  private final KeyReference writeKey;
  private final Duration refreshInterval;
  private final Clock clock;
  private KeyReference resolved;
  private Instant resolvedAt;

  public DirectKeyAccess(
      Providers providers,
      KeyEncryptionKeyProvider writeProvider,
      KeyReference writeKey,
      Duration refreshInterval,
      Clock clock) {
    this.providers = providers;
    this.writeProvider = writeProvider;
    this.writeKey = writeKey;
    this.refreshInterval = refreshInterval;
    this.clock = clock;
  }

  @Override
  public synchronized KeyReference writeVersion() {
    if (writeKey == null) {
      throw new IllegalStateException("no write key configured: this instance only decrypts");
    }
    if (writeKey.isVersioned()) {
      return writeKey;
    }
    Instant now = clock.instant();
    if (resolved == null || !now.isBefore(resolvedAt.plus(refreshInterval))) {
      resolved = writeProvider.resolveLatest(writeKey);
      resolvedAt = now;
    }
    return resolved;
  }

  @Override
  public WrappedKey wrap(KeyReference version, SecretBytes dataKey) {
    return writeProvider.wrap(version, dataKey);
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    return providers.get(wrappedKey.providerId()).unwrap(wrappedKey);
  }
}
