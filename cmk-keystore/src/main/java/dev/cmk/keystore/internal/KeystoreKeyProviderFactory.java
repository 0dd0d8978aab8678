package dev.cmk.keystore.internal;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import dev.cmk.keystore.KeystoreKeyProvider;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
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
    Objects.requireNonNull(settings, "settings");
    for (String key : settings.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "unknown keystore provider setting '" + key + "'; known: " + KEYS);
      }
    }
    String path = settings.get("path");
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("keystore provider setting 'path' is required");
    }
    String file = settings.get("password-file");
    String env = settings.get("password-env");
    if ((file == null) == (env == null)) {
      throw new IllegalArgumentException(
          "exactly one of the keystore provider settings 'password-file' and 'password-env' is"
              + " required");
    }
    KeystoreKeyProvider.Builder b = KeystoreKeyProvider.builder().path(Path.of(path));
    if (file != null) {
      b.passwordFile(Path.of(file));
    } else {
      b.passwordEnvironment(env);
    }
    String create = settings.get("create");
    if (create != null) {
      if (!create.equals("true") && !create.equals("false")) {
        throw new IllegalArgumentException(
            "keystore provider setting 'create' must be true or false");
      }
      b.create(Boolean.parseBoolean(create));
    }
    return b.build();
  }
}
