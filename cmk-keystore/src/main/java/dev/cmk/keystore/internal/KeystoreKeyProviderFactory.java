package dev.cmk.keystore.internal;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import dev.cmk.api.spi.ProviderSettings;
import dev.cmk.keystore.KeystoreKeyProvider;
import dev.cmk.keystore.KeystoreKeyProviderBuilder;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link KeystoreKeyProvider} from string settings, for tools that configure providers from
 * files ({@code ServiceLoader} id {@value KeystoreKeyProvider#ID}).
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>Key</th><th>Meaning</th></tr>
 *   <tr><td>{@code path}</td><td>the PKCS#12 keystore file (required)</td></tr>
 *   <tr><td>{@code password-file} or {@code password-env}</td>
 *       <td>file or environment variable holding the keystore password (exactly one; never the
 *       password itself)</td></tr>
 *   <tr><td>{@code create}</td><td>{@code true} to create a missing file (default {@code
 *       false})</td></tr>
 * </table>
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class KeystoreKeyProviderFactory implements KeyEncryptionKeyProviderFactory {
  private static final Set<String> KEYS = Set.of("path", "password-file", "password-env", "create");

  /** For {@link java.util.ServiceLoader}. */
  public KeystoreKeyProviderFactory() {}

  @Override
  public String id() {
    return KeystoreKeyProvider.ID;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalStateException if the file is missing and {@code create} is not {@code true}
   * @throws dev.cmk.api.KeyAccessDeniedException if the password is wrong
   * @throws dev.cmk.api.KeyProviderUnavailableException if the file cannot be read
   */
  @Override
  public KeyEncryptionKeyProvider create(Map<String, String> settings) {
    ProviderSettings s = ProviderSettings.of(KeystoreKeyProvider.ID, settings, KEYS);
    KeystoreKeyProviderBuilder b =
        KeystoreKeyProvider.builder()
            .path(s.requiredPath("path"))
            .password(s.secretSource("password-file", "password-env"));
    s.optionalBoolean("create").ifPresent(b::create);
    return b.build();
  }
}
