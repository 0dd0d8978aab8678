package dev.cmk.examples.fhir.internal;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.azure.AzureKeyVaultProvider;
import dev.cmk.core.KeyConfiguration;
import dev.cmk.examples.fhir.KeySettings;
import dev.cmk.keystore.KeystoreKeyProvider;
import dev.cmk.keystore.KeystoreKeyProviderBuilder;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Turns {@link KeySettings} into the {@link KeyConfiguration} cmk wraps under: the URL's scheme
 * picks the provider ({@code https://} &rarr; Azure Key Vault / Managed HSM with the configured
 * managed identity, {@code local:} &rarr; the PKCS#12 keystore). Settings are re-read on every
 * call (cmk calls it at start and on every refresh); a provider is built only when they changed,
 * so an unchanged configuration keeps its provider, caches and connections.
 *
 * <p><b>Security:</b> the Azure provider serves exactly the vault of {@code keyEncryptionKeyUrl}
 * (never {@code allowAnyVault}), and the keystore provider exactly the configured file. Decryption
 * resolves only among these, so a stored resource whose envelope names another vault is refused
 * ({@code KeyNotFoundException}, HTTP 500) before any request to that vault: no stored row can make
 * the server present its managed identity's token elsewhere.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
public final class SettingsKeyConfiguration implements Supplier<KeyConfiguration>, AutoCloseable {
  /**
   * Gives an Azure provider its credential (and anything else but its vaults, which always come
   * from the settings). Production uses {@link #MANAGED_IDENTITY}; tests add a loopback transport.
   */
  @FunctionalInterface
  public interface AzureClientSetup {
    /**
     * Configures {@code builder} for {@code settings}.
     *
     * @param builder the provider builder, its vault already set
     * @param settings the key settings
     */
    void configure(AzureKeyVaultProvider.Builder builder, KeySettings settings);
  }

  /** The managed identity the settings name (system- or user-assigned), as in Azure. */
  public static final AzureClientSetup MANAGED_IDENTITY =
      (azure, s) -> {
        if (s.identityType() == KeySettings.IdentityType.USER_ASSIGNED) {
          azure.userAssignedManagedIdentityClientId(s.userAssignedClientId());
        } else {
          azure.systemAssignedManagedIdentity();
        }
      };

  private final Supplier<KeySettings> settings;
  private final Clock clock;
  private final AzureClientSetup azureSetup;
  private final List<KeyEncryptionKeyProvider> created = new ArrayList<>(); // guarded by this
  private KeySettings lastSettings; // guarded by this
  private KeyConfiguration last; // guarded by this

  /**
   * @param settings where the settings come from (re-read on every call)
   * @param clock the server's clock, given to the providers
   */
  public SettingsKeyConfiguration(Supplier<KeySettings> settings, Clock clock) {
    this(settings, clock, MANAGED_IDENTITY);
  }

  /**
   * @param settings where the settings come from (re-read on every call)
   * @param clock the server's clock, given to the providers
   * @param azureSetup how an Azure provider gets its credential
   */
  public SettingsKeyConfiguration(
      Supplier<KeySettings> settings, Clock clock, AzureClientSetup azureSetup) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.azureSetup = Objects.requireNonNull(azureSetup, "azureSetup");
  }

  /**
   * The configuration for the current settings.
   *
   * @throws IllegalArgumentException if the settings are invalid
   * @throws dev.cmk.api.CmkException if the provider cannot be built (e.g. keystore unreadable)
   */
  @Override
  public synchronized KeyConfiguration get() {
    KeySettings s = Objects.requireNonNull(settings.get(), "settings returned null");
    if (!s.equals(lastSettings)) {
      KeyEncryptionKeyProvider provider = providerFor(s, clock, azureSetup);
      created.add(provider);
      last = new KeyConfiguration(provider, s.keyEncryptionKeyUrl());
      lastSettings = s;
    }
    return last;
  }

  /**
   * Builds the provider the settings name.
   *
   * @param s the settings
   * @param clock the clock
   * @param azureSetup how an Azure provider gets its credential
   * @return a new provider
   */
  static KeyEncryptionKeyProvider providerFor(
      KeySettings s, Clock clock, AzureClientSetup azureSetup) {
    KeyReference key = s.keyEncryptionKeyUrl();
    switch (key.kind()) {
      case AZURE_KEY_VAULT:
      case AZURE_MANAGED_HSM:
        AzureKeyVaultProvider.Builder azure =
            AzureKeyVaultProvider.builder()
                .addVault(key.vaultUrl().orElseThrow())
                .clock(clock);
        azureSetup.configure(azure, s);
        return azure.build();
      case LOCAL:
        KeystoreKeyProviderBuilder keystore =
            KeystoreKeyProvider.builder().path(s.keystore()).clock(clock);
        if (s.keystorePasswordFile() != null) {
          keystore.passwordFile(s.keystorePasswordFile());
        } else {
          keystore.passwordEnvironment(s.keystorePasswordEnvironment());
        }
        return keystore.build();
      default:
        throw new IllegalArgumentException("no key provider for " + key.kind());
    }
  }

  /** Closes every provider this instance built. */
  @Override
  public synchronized void close() {
    for (KeyEncryptionKeyProvider p : created) {
      p.close();
    }
    created.clear();
  }
}
