package dev.cmk.api.spi;

import java.util.Map;

/**
 * Creates a {@link KeyEncryptionKeyProvider} from string settings; discovered with {@link
 * java.util.ServiceLoader} through {@link ProviderDiscovery} by tools such as the {@code cmk} CLI.
 *
 * <p><b>Security:</b> discovery is a convenience for building providers from configuration. It
 * never decides which providers decryption trusts: cmk decrypts only with providers the
 * application configured explicitly.
 *
 * <p>Implementations validate their settings with {@link ProviderSettings} (unknown keys rejected
 * with the key named) and take secrets through {@link SecretSource} (settings name a file or an
 * environment variable, never hold the secret).
 *
 * <p><b>Thread safety:</b> implementations are stateless and safe for concurrent use.
 */
public interface KeyEncryptionKeyProviderFactory {

  /**
   * The id of the providers this factory creates (see {@link KeyEncryptionKeyProvider#id()}).
   *
   * @return the id
   */
  String id();

  /**
   * Creates a provider.
   *
   * @param settings provider-specific settings (never secrets themselves: name a file or
   *     environment variable that holds a secret)
   * @return a new provider
   * @throws IllegalArgumentException if a setting is missing or invalid
   */
  KeyEncryptionKeyProvider create(Map<String, String> settings);
}
