package dev.cmk.core;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.util.Objects;

/**
 * Which key new data is wrapped under and through which provider (and so which identity). Supplied
 * by the application; re-read on {@link KeyAccessGuard#refresh()}, which is how a changed key URL
 * or identity takes effect.
 *
 * @param provider the provider (configured with the identity/credential to use)
 * @param key the key, versionless (follow the latest version) or versioned (pinned)
 */
public record KeyConfiguration(KeyEncryptionKeyProvider provider, KeyReference key) {
  /**
   * Validates that {@code provider} serves {@code key}.
   *
   * @param provider the provider (configured with the identity/credential to use)
   * @param key the key, versionless (follow the latest version) or versioned (pinned)
   * @throws IllegalArgumentException if the provider does not serve the key
   */
  public KeyConfiguration {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(key, "key");
    if (!provider.serves(key)) {
      throw new IllegalArgumentException(
          "key provider '" + provider.id() + "' does not serve " + key);
    }
  }
}
