package dev.cmk.softhsm.internal;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import dev.cmk.softhsm.OaepFallback;
import dev.cmk.softhsm.PinSource;
import dev.cmk.softhsm.Pkcs11KeyProvider;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Builds a {@link Pkcs11KeyProvider} from string settings, for tools that configure providers from
 * files ({@code ServiceLoader} id {@value Pkcs11KeyProvider#ID}).
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>Key</th><th>Meaning</th></tr>
 *   <tr><td>{@code library}</td><td>path of the PKCS#11 library (required)</td></tr>
 *   <tr><td>{@code token}, {@code token-serial} or {@code slot-id}</td>
 *       <td>which token (exactly one)</td></tr>
 *   <tr><td>{@code pin-file} or {@code pin-env}</td>
 *       <td>file or environment variable holding the user PIN (exactly one; never the PIN
 *       itself)</td></tr>
 *   <tr><td>{@code oaep-fallback}</td>
 *       <td>{@code raw-rsa} (default) or {@code native-oaep-sha1}</td></tr>
 *   <tr><td>{@code max-sessions}</td><td>session pool size</td></tr>
 * </table>
 */
public final class Pkcs11KeyProviderFactory implements KeyEncryptionKeyProviderFactory {
  private static final Set<String> KEYS =
      Set.of(
          "library", "token", "token-serial", "slot-id", "pin-file", "pin-env", "oaep-fallback",
          "max-sessions");

  /** For {@link java.util.ServiceLoader}. */
  public Pkcs11KeyProviderFactory() {}

  @Override
  public String id() {
    return Pkcs11KeyProvider.ID;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalStateException if the provider cannot connect (see {@link
   *     Pkcs11KeyProvider.Builder#build()})
   */
  @Override
  public KeyEncryptionKeyProvider create(Map<String, String> settings) {
    Objects.requireNonNull(settings, "settings");
    for (String key : settings.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "unknown pkcs11 provider setting '" + key + "'; known: " + KEYS);
      }
    }
    Pkcs11KeyProvider.Builder b = Pkcs11KeyProvider.builder();
    String library = settings.get("library");
    if (library == null || library.isBlank()) {
      throw new IllegalArgumentException("pkcs11 provider setting 'library' is required");
    }
    b.library(Path.of(library));
    int tokenSettings = 0;
    if (settings.containsKey("token")) {
      b.tokenLabel(settings.get("token"));
      tokenSettings++;
    }
    if (settings.containsKey("token-serial")) {
      b.tokenSerial(settings.get("token-serial"));
      tokenSettings++;
    }
    if (settings.containsKey("slot-id")) {
      b.slotId(parseLong("slot-id", settings.get("slot-id")));
      tokenSettings++;
    }
    if (tokenSettings != 1) {
      throw new IllegalArgumentException(
          "exactly one of the pkcs11 provider settings 'token', 'token-serial' and 'slot-id' is"
              + " required");
    }
    String pinFile = settings.get("pin-file");
    String pinEnv = settings.get("pin-env");
    if ((pinFile == null) == (pinEnv == null)) {
      throw new IllegalArgumentException(
          "exactly one of the pkcs11 provider settings 'pin-file' and 'pin-env' is required");
    }
    b.pin(pinFile != null ? PinSource.fromFile(Path.of(pinFile)) : PinSource.fromEnvironment(pinEnv));
    String fallback = settings.get("oaep-fallback");
    if (fallback != null) {
      switch (fallback) {
        case "raw-rsa":
          b.oaepFallback(OaepFallback.RAW_RSA_WITH_SOFTWARE_OAEP);
          break;
        case "native-oaep-sha1":
          b.oaepFallback(OaepFallback.NATIVE_OAEP_SHA1);
          break;
        default:
          throw new IllegalArgumentException(
              "pkcs11 provider setting 'oaep-fallback' must be raw-rsa or native-oaep-sha1");
      }
    }
    if (settings.containsKey("max-sessions")) {
      long max = parseLong("max-sessions", settings.get("max-sessions"));
      if (max < 1 || max > 1024) {
        throw new IllegalArgumentException("pkcs11 provider setting 'max-sessions' must be 1-1024");
      }
      b.maxSessions((int) max);
    }
    return b.build();
  }

  private static long parseLong(String key, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("pkcs11 provider setting '" + key + "' must be a number");
    }
  }
}
