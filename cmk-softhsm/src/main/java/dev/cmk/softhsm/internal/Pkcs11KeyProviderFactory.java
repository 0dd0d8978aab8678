package dev.cmk.softhsm.internal;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import dev.cmk.softhsm.OaepFallback;
import dev.cmk.api.spi.ProviderSettings;
import dev.cmk.softhsm.Pkcs11KeyProviderBuilder;
import dev.cmk.softhsm.Pkcs11KeyProvider;
import java.util.Map;
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
   * @throws IllegalArgumentException for unknown, missing or invalid settings, as {@link
   *     ProviderSettings} words them
   * @throws IllegalStateException if the provider cannot connect (see {@link
   *     Pkcs11KeyProviderBuilder#build()})
   */
  @Override
  public KeyEncryptionKeyProvider create(Map<String, String> settings) {
    ProviderSettings p = ProviderSettings.of(Pkcs11KeyProvider.ID, settings, KEYS);
    Pkcs11KeyProviderBuilder b = Pkcs11KeyProvider.builder().library(p.requiredPath("library"));
    switch (p.exactlyOneOf("token", "token-serial", "slot-id")) {
      case "token":
        b.tokenLabel(p.required("token"));
        break;
      case "token-serial":
        b.tokenSerial(p.required("token-serial"));
        break;
      default:
        b.slotId(p.optionalLong("slot-id", 0, Long.MAX_VALUE).orElseThrow());
        break;
    }
    b.pin(p.secretSource("pin-file", "pin-env"));
    p.optionalChoice(
            "oaep-fallback",
            Map.of(
                "raw-rsa", OaepFallback.RAW_RSA_WITH_SOFTWARE_OAEP,
                "native-oaep-sha1", OaepFallback.NATIVE_OAEP_SHA1))
        .ifPresent(b::oaepFallback);
    p.optionalLong("max-sessions", 1, 1024).ifPresent(max -> b.maxSessions(max.intValue()));
    return b.build();
  }
}
