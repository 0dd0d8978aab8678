package dev.cmk.spring.boot;

import dev.cmk.api.KeyReference;
import dev.cmk.core.KeyAccessSettings;
import dev.cmk.core.KeyPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.jspecify.annotations.Nullable;

/**
 * The {@code cmk.*} properties the starter builds its {@link dev.cmk.core.EnvelopeCrypto} from.
 * Bound once at start-up and validated in the compact constructors: a missing or contradictory
 * setting fails the application context with a message that names the property. No property holds
 * a secret: PINs and passwords are read from the file or environment variable named here.
 *
 * @param enabled whether the starter configures cmk at all (default true)
 * @param provider where the key-encryption key lives (required)
 * @param key the key new envelopes are wrapped under: a key reference ({@code
 *     https://{vault}.vault.azure.net/keys/{name}}, {@code pkcs11:token=...;object=...}, {@code
 *     local:{name}}), versionless to follow rotation; required unless the instance only decrypts
 * @param decryptOnlyKeys keys this instance reads but no longer writes under (e.g. the previous
 *     write key after a move to another vault)
 * @param policy the key policy preset every write key version must meet (default {@code
 *     dicom-service})
 * @param keyVault Azure Key Vault / Managed HSM settings
 * @param pkcs11 PKCS#11 token settings
 * @param keystore PKCS#12 keystore settings
 * @param guard loss-of-access guard timing
 */
@ConfigurationProperties("cmk")
public record CmkProperties(
    @DefaultValue("true") boolean enabled,
    ProviderKind provider,
    String key,
    List<String> decryptOnlyKeys,
    @DefaultValue("dicom-service") PolicyPreset policy,
    @DefaultValue KeyVault keyVault,
    @DefaultValue Pkcs11 pkcs11,
    @DefaultValue Keystore keystore,
    @DefaultValue Guard guard) {

  /**
   * Validates the combination of settings.
   *
   * @param decryptOnlyKeys see {@link #decryptOnlyKeys()}
   * @param enabled see {@link #enabled()}
   * @param guard see {@link #guard()}
   * @param key see {@link #key()}
   * @param keyVault see {@link #keyVault()}
   * @param keystore see {@link #keystore()}
   * @param pkcs11 see {@link #pkcs11()}
   * @param policy see {@link #policy()}
   * @param provider see {@link #provider()}
   * @throws IllegalArgumentException naming the property that is missing or invalid
   */
  public CmkProperties {
    decryptOnlyKeys = decryptOnlyKeys == null ? List.of() : List.copyOf(decryptOnlyKeys);
    policy = policy == null ? PolicyPreset.DICOM_SERVICE : policy;
    keyVault = keyVault == null ? new KeyVault(Credential.AUTO, null, null) : keyVault;
    pkcs11 = pkcs11 == null ? new Pkcs11(null, null, null, null, null, null, null) : pkcs11;
    keystore = keystore == null ? new Keystore(null, null, null, false) : keystore;
    guard = guard == null ? Guard.DEFAULTS : guard;
    if (enabled) {
      validate(provider, key, decryptOnlyKeys, pkcs11, keystore);
    }
  }

  private static void validate(
      ProviderKind provider, String key, List<String> decryptOnlyKeys, Pkcs11 pkcs11,
      Keystore keystore) {
    if (provider == null) {
      throw new IllegalArgumentException(
          "cmk.provider is required: one of key-vault, managed-hsm, pkcs11, keystore");
    }
    if (key == null || key.isBlank()) {
      if (decryptOnlyKeys.isEmpty()) {
        throw new IllegalArgumentException(
            "cmk.key is required (the key-encryption key reference, e.g. "
                + provider.example() + "), unless the instance only decrypts"
                + " (cmk.decrypt-only-keys)");
      }
    } else {
      provider.check(parse("cmk.key", key), "cmk.key");
    }
    for (int i = 0; i < decryptOnlyKeys.size(); i++) {
      String name = "cmk.decrypt-only-keys[" + i + "]";
      provider.check(parse(name, decryptOnlyKeys.get(i)), name);
    }
    if (provider == ProviderKind.PKCS11) {
      pkcs11.validate();
    } else if (provider == ProviderKind.KEYSTORE) {
      keystore.validate();
    }
  }

  private static KeyReference parse(String property, String value) {
    try {
      return KeyReference.parse(value.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(property + " is not a valid key reference: "
          + e.getMessage()); // the cause's text is all there is to it
    }
  }

  /** {@return the write key, if the instance writes} */
  public java.util.Optional<KeyReference> keyReference() {
    return key == null || key.isBlank()
        ? java.util.Optional.empty()
        : java.util.Optional.of(KeyReference.parse(key.strip()));
  }

  /** {@return the decrypt-only keys, parsed} */
  public List<KeyReference> decryptOnlyKeyReferences() {
    List<KeyReference> keys = new ArrayList<>();
    for (String k : decryptOnlyKeys) {
      keys.add(KeyReference.parse(k.strip()));
    }
    return List.copyOf(keys);
  }

  /** Where the key-encryption key lives. */
  public enum ProviderKind {
    /** Azure Key Vault (module {@code cmk-azure-keyvault}). */
    KEY_VAULT(KeyReference.Kind.AZURE_KEY_VAULT,
        "https://myvault.vault.azure.net/keys/mykey", "dev.cmk.azure.AzureKeyVaultProvider",
        "cmk-azure-keyvault"),
    /** Azure Key Vault Managed HSM (module {@code cmk-azure-keyvault}). */
    MANAGED_HSM(KeyReference.Kind.AZURE_MANAGED_HSM,
        "https://myhsm.managedhsm.azure.net/keys/mykey", "dev.cmk.azure.AzureKeyVaultProvider",
        "cmk-azure-keyvault"),
    /** A PKCS#11 token, e.g. an HSM (module {@code cmk-softhsm}). */
    PKCS11(KeyReference.Kind.PKCS11, "pkcs11:token=mytoken;object=mykey",
        "dev.cmk.softhsm.Pkcs11KeyProvider", "cmk-softhsm"),
    /** A local PKCS#12 keystore file (module {@code cmk-keystore}). */
    KEYSTORE(KeyReference.Kind.LOCAL, "local:mykey", "dev.cmk.keystore.KeystoreKeyProvider",
        "cmk-keystore");

    private final KeyReference.Kind referenceKind;
    private final String example;
    private final String providerClass;
    private final String artifactId;

    ProviderKind(KeyReference.Kind referenceKind, String example, String providerClass,
        String artifactId) {
      this.referenceKind = referenceKind;
      this.example = example;
      this.providerClass = providerClass;
      this.artifactId = artifactId;
    }

    /** {@return the property value, e.g. {@code key-vault}} */
    public String propertyValue() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    String example() {
      return example;
    }

    String providerClass() {
      return providerClass;
    }

    String artifactId() {
      return artifactId;
    }

    void check(KeyReference reference, String property) {
      if (reference.kind() != referenceKind) {
        throw new IllegalArgumentException(property + " (" + reference + ") is not a "
            + propertyValue() + " key, as cmk.provider=" + propertyValue() + " needs (e.g. "
            + example + ")");
      }
    }
  }

  /** The key policy presets of {@link KeyPolicy}. */
  public enum PolicyPreset {
    /** {@link KeyPolicy#dicomService()}. */
    DICOM_SERVICE,
    /** {@link KeyPolicy#fhirService()}. */
    FHIR_SERVICE;

    /** {@return the preset's policy} */
    public KeyPolicy policy() {
      return this == FHIR_SERVICE ? KeyPolicy.fhirService() : KeyPolicy.dicomService();
    }
  }

  /** How the Azure provider authenticates. */
  public enum Credential {
    /**
     * The application's {@code TokenCredential} bean if it has exactly one (or one
     * {@code @Primary}), else managed identity.
     */
    AUTO,
    /** Managed identity: user-assigned with a client id, else system-assigned. */
    MANAGED_IDENTITY,
    /** The application's {@code TokenCredential} bean; there must be one. */
    TOKEN_CREDENTIAL
  }

  /**
   * Azure Key Vault / Managed HSM settings ({@code cmk.key-vault.*}).
   *
   * @param credential how to authenticate (default {@code auto})
   * @param managedIdentityClientId client id of a user-assigned managed identity; empty for the
   *     system-assigned one
   * @param additionalVaults vault URLs this instance may call besides those of {@code cmk.key}
   *     and {@code cmk.decrypt-only-keys} (envelopes naming any other vault are refused)
   */
  public record KeyVault(
      @DefaultValue("auto") Credential credential,
      @Nullable String managedIdentityClientId,
      @Nullable List<String> additionalVaults) {

    /**
     * Applies defaults.
     *
     * @param additionalVaults see {@link #additionalVaults()}
     * @param credential see {@link #credential()}
     * @param managedIdentityClientId see {@link #managedIdentityClientId()}
     */
    public KeyVault {
      credential = credential == null ? Credential.AUTO : credential;
      additionalVaults = additionalVaults == null ? List.of() : List.copyOf(additionalVaults);
      if (managedIdentityClientId != null && managedIdentityClientId.isBlank()) {
        managedIdentityClientId = null;
      }
      if (managedIdentityClientId != null && credential == Credential.TOKEN_CREDENTIAL) {
        throw new IllegalArgumentException("cmk.key-vault.managed-identity-client-id is set, but"
            + " cmk.key-vault.credential=token-credential does not use managed identity");
      }
    }
  }

  /**
   * PKCS#11 token settings ({@code cmk.pkcs11.*}). The PIN is never a property: name the file or
   * environment variable that holds it.
   *
   * @param library path of the PKCS#11 library, e.g. {@code /usr/lib/softhsm/libsofthsm2.so}
   * @param tokenLabel the token's label (or give {@code token-serial} or {@code slot-id})
   * @param tokenSerial the token's serial number
   * @param slotId the slot id
   * @param pinFile a file holding the user PIN (or give {@code pin-env})
   * @param pinEnv an environment variable holding the user PIN
   * @param maxSessions session pool size (default: the provider's)
   */
  public record Pkcs11(
      @Nullable String library,
      @Nullable String tokenLabel,
      @Nullable String tokenSerial,
      @Nullable Long slotId,
      @Nullable String pinFile,
      @Nullable String pinEnv,
      @Nullable Integer maxSessions) {

    void validate() {
      if (library == null || library.isBlank()) {
        throw new IllegalArgumentException(
            "cmk.pkcs11.library is required when cmk.provider=pkcs11");
      }
      int tokens = (tokenLabel == null ? 0 : 1) + (tokenSerial == null ? 0 : 1)
          + (slotId == null ? 0 : 1);
      if (tokens != 1) {
        throw new IllegalArgumentException("exactly one of cmk.pkcs11.token-label,"
            + " cmk.pkcs11.token-serial and cmk.pkcs11.slot-id is required");
      }
      exactlyOne(pinFile, pinEnv, "cmk.pkcs11.pin-file", "cmk.pkcs11.pin-env");
    }
  }

  /**
   * PKCS#12 keystore settings ({@code cmk.keystore.*}). The password is never a property: name
   * the file or environment variable that holds it.
   *
   * @param path the keystore file
   * @param passwordFile a file holding the keystore password (or give {@code password-env})
   * @param passwordEnv an environment variable holding the keystore password
   * @param create whether to create a missing keystore file (default false)
   */
  public record Keystore(
      @Nullable String path,
      @Nullable String passwordFile,
      @Nullable String passwordEnv,
      boolean create) {

    void validate() {
      if (path == null || path.isBlank()) {
        throw new IllegalArgumentException(
            "cmk.keystore.path is required when cmk.provider=keystore");
      }
      exactlyOne(passwordFile, passwordEnv, "cmk.keystore.password-file",
          "cmk.keystore.password-env");
    }
  }

  private static void exactlyOne(String a, String b, String nameA, String nameB) {
    boolean hasA = a != null && !a.isBlank();
    boolean hasB = b != null && !b.isBlank();
    if (hasA == hasB) {
      throw new IllegalArgumentException("exactly one of " + nameA + " and " + nameB
          + " is required (" + (hasA ? "both are set" : "neither is set") + ")");
    }
  }

  /**
   * Loss-of-access guard timing ({@code cmk.guard.*}); each unset value is the default of
   * {@link KeyAccessSettings#DEFAULT}.
   *
   * @param probeInterval how long a confirmation of the key stays valid (default 1m)
   * @param gracePeriod how long after access was lost it still recovers by itself (default 30m)
   * @param transientTripThreshold how long transient failures must persist to trip (default 2m)
   * @param maxRetries retries of a transient failure within one call (default 2)
   * @param retryBaseDelay first retry delay (default 200ms)
   * @param retryMaxDelay longest wait for one retry (default 2s)
   * @param probeBackoffMin first probe delay after access was lost (default 5s)
   * @param probeBackoffMax longest delay between probes while unavailable (default 30s)
   * @param recentUseWindow window for "recently used version became unusable" warnings
   *     (default 7d)
   * @param strictWrites confirm the key before every new data key (default false)
   * @param backgroundProbe run the guard's probe every second on a scheduler the starter owns
   *     (default true)
   */
  public record Guard(
      @Nullable Duration probeInterval,
      @Nullable Duration gracePeriod,
      @Nullable Duration transientTripThreshold,
      @Nullable Integer maxRetries,
      @Nullable Duration retryBaseDelay,
      @Nullable Duration retryMaxDelay,
      @Nullable Duration probeBackoffMin,
      @Nullable Duration probeBackoffMax,
      @Nullable Duration recentUseWindow,
      @Nullable Boolean strictWrites,
      @DefaultValue("true") Boolean backgroundProbe) {

    static final Guard DEFAULTS =
        new Guard(null, null, null, null, null, null, null, null, null, null, true);

    /**
     * Validates by building the settings.
     *
     * @param backgroundProbe see {@link #backgroundProbe()}
     * @param gracePeriod see {@link #gracePeriod()}
     * @param maxRetries see {@link #maxRetries()}
     * @param probeBackoffMax see {@link #probeBackoffMax()}
     * @param probeBackoffMin see {@link #probeBackoffMin()}
     * @param probeInterval see {@link #probeInterval()}
     * @param recentUseWindow see {@link #recentUseWindow()}
     * @param retryBaseDelay see {@link #retryBaseDelay()}
     * @param retryMaxDelay see {@link #retryMaxDelay()}
     * @param strictWrites see {@link #strictWrites()}
     * @param transientTripThreshold see {@link #transientTripThreshold()}
     */
    public Guard {
      backgroundProbe = backgroundProbe == null || backgroundProbe;
      try {
        settings(probeInterval, gracePeriod, transientTripThreshold, maxRetries, retryBaseDelay,
            retryMaxDelay, probeBackoffMin, probeBackoffMax, recentUseWindow, strictWrites);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("cmk.guard: " + e.getMessage());
      }
    }

    /** {@return the guard settings, unset values taken from {@link KeyAccessSettings#DEFAULT}} */
    public KeyAccessSettings toSettings() {
      return settings(probeInterval, gracePeriod, transientTripThreshold, maxRetries,
          retryBaseDelay, retryMaxDelay, probeBackoffMin, probeBackoffMax, recentUseWindow,
          strictWrites);
    }

    private static KeyAccessSettings settings(
        Duration probeInterval, Duration gracePeriod, Duration transientTripThreshold,
        Integer maxRetries, Duration retryBaseDelay, Duration retryMaxDelay,
        Duration probeBackoffMin, Duration probeBackoffMax, Duration recentUseWindow,
        Boolean strictWrites) {
      KeyAccessSettings d = KeyAccessSettings.DEFAULT;
      return new KeyAccessSettings(
          or(probeInterval, d.probeInterval()),
          or(gracePeriod, d.gracePeriod()),
          or(transientTripThreshold, d.transientTripThreshold()),
          or(maxRetries, d.maxRetries()),
          or(retryBaseDelay, d.retryBaseDelay()),
          or(retryMaxDelay, d.retryMaxDelay()),
          or(probeBackoffMin, d.probeBackoffMin()),
          or(probeBackoffMax, d.probeBackoffMax()),
          or(recentUseWindow, d.recentUseWindow()),
          or(strictWrites, d.strictWrites()));
    }

    private static <T> T or(T value, T fallback) {
      return value == null ? fallback : value;
    }
  }
}
