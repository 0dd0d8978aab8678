package dev.cmk.examples.dicom;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import dev.cmk.api.spi.ProviderDiscovery;
import dev.cmk.keystore.KeystoreKeyProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The key providers {@link DicomStoreMain} configures: one per provider id among the {@code --key}
 * (the write key) and the {@code --decrypt-only-key}s (keys the store only reads, typically the
 * write keys it used before a move), each pinned to the vaults or token those keys name.
 *
 * <p>Settings: {@code --provider-setting NAME=VALUE} is for the {@code --key}'s provider, {@code
 * --provider-setting ID:NAME=VALUE} for provider {@code ID} (e.g. {@code keystore:path=keys.p12}
 * for a decrypt-only {@code local:} key while the {@code --key} is in an HSM). Derived scope:
 *
 * <ul>
 *   <li>{@code azure-keyvault}: {@code vaults} defaults to the vaults of the keys it serves (the
 *       {@code --key}'s and every decrypt-only key's); {@code vaults=*} (any vault a header names)
 *       is refused.
 *   <li>{@code pkcs11}: without {@code token}, {@code token-serial} or {@code slot-id}, the token
 *       label of the first key it serves.
 * </ul>
 *
 * Decryption resolves only among these providers, so a stored instance whose header names another
 * vault or token is refused ({@code KeyNotFoundException}, HTTP 500) before anything is contacted
 * or a PIN used.
 */
final class StoreProviders {
  private StoreProviders() {}

  /**
   * The provider id a key reference implies: {@code https://} → {@code azure-keyvault}, {@code
   * pkcs11:} → {@code pkcs11}, {@code local:} → {@code keystore}.
   *
   * @param key the key
   * @return the provider id
   */
  static String defaultProviderId(KeyReference key) {
    switch (key.kind()) {
      case AZURE_KEY_VAULT:
      case AZURE_MANAGED_HSM:
        return "azure-keyvault";
      case PKCS11:
        return "pkcs11";
      default:
        return KeystoreKeyProvider.ID;
    }
  }

  /**
   * The id of the {@code --key}'s provider: {@code --provider}, or the one its reference implies.
   *
   * @param options parsed options
   * @return the write provider's id
   */
  static String writeProviderId(DicomStoreMain.Options options) {
    return options.providerId().orElseGet(() -> defaultProviderId(options.key()));
  }

  /**
   * The id of the provider a decrypt-only key is read through: the write provider's when the key
   * implies the same provider as the {@code --key}, otherwise the one it implies.
   */
  private static String providerIdOf(KeyReference key, DicomStoreMain.Options options) {
    String implied = defaultProviderId(key);
    return implied.equals(defaultProviderId(options.key())) ? writeProviderId(options) : implied;
  }

  /**
   * Each provider's settings, the {@code --key}'s provider first.
   *
   * @param options parsed options
   * @return provider id → settings for its factory
   * @throws IllegalArgumentException for {@code vaults=*}, a setting given twice (with and
   *     without its provider's prefix), or a prefix naming a provider no key uses
   */
  static Map<String, Map<String, String>> settings(DicomStoreMain.Options options) {
    Map<String, List<KeyReference>> keysById = new LinkedHashMap<>();
    keysById.computeIfAbsent(writeProviderId(options), id -> new ArrayList<>()).add(options.key());
    for (KeyReference k : options.decryptOnlyKeys()) {
      keysById.computeIfAbsent(providerIdOf(k, options), id -> new ArrayList<>()).add(k);
    }
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    keysById.keySet().forEach(id -> out.put(id, new LinkedHashMap<>()));
    String writeId = writeProviderId(options);
    for (Map.Entry<String, String> e : options.providerSettings().entrySet()) {
      String name = e.getKey();
      int colon = name.indexOf(':');
      String id = colon < 0 ? writeId : name.substring(0, colon);
      String setting = colon < 0 ? name : name.substring(colon + 1);
      Map<String, String> target = out.get(id);
      if (target == null) {
        throw new IllegalArgumentException("--provider-setting " + name + ": no --key or"
            + " --decrypt-only-key uses provider '" + id + "' (keys use " + out.keySet() + ")");
      }
      if (target.putIfAbsent(setting, e.getValue()) != null) {
        throw new IllegalArgumentException(
            "provider setting '" + setting + "' of '" + id + "' given twice");
      }
    }
    for (Map.Entry<String, Map<String, String>> e : out.entrySet()) {
      scope(e.getKey(), e.getValue(), keysById.get(e.getKey()));
    }
    return out;
  }

  private static void scope(String id, Map<String, String> settings, List<KeyReference> keys) {
    if (id.equals("azure-keyvault")) {
      String vaults = settings.get("vaults");
      if (vaults == null || vaults.isBlank()) {
        Set<String> derived = new LinkedHashSet<>();
        keys.forEach(k -> k.vaultUrl().ifPresent(derived::add));
        if (!derived.isEmpty()) {
          settings.put("vaults", String.join(",", derived));
        }
      } else if (Arrays.stream(vaults.split(",")).anyMatch(v -> v.trim().equals("*"))) {
        throw new IllegalArgumentException(
            "--provider-setting vaults=* is refused: the store would call any vault a stored"
                + " instance's header names; list the vaults (default: the vaults of --key and"
                + " --decrypt-only-key)");
      }
    } else if (id.equals("pkcs11")
        && !settings.containsKey("token")
        && !settings.containsKey("token-serial")
        && !settings.containsKey("slot-id")) {
      keys.stream()
          .filter(k -> k.kind() == KeyReference.Kind.PKCS11 && !k.authority().isEmpty())
          .findFirst()
          .ifPresent(k -> settings.put("token", k.authority()));
    }
  }

  /**
   * Creates every provider from {@link #settings}, the {@code --key}'s first, and checks that
   * every decrypt-only key is served by its provider. On failure, closes what it created.
   *
   * @param options parsed options
   * @param factory makes a provider from its id and settings ({@link #discovered()} in production)
   * @return provider id → provider
   * @throws IllegalArgumentException if a provider is unknown, its settings are wrong, or it does
   *     not serve a decrypt-only key given for it
   */
  static Map<String, KeyEncryptionKeyProvider> create(
      DicomStoreMain.Options options,
      BiFunction<String, Map<String, String>, KeyEncryptionKeyProvider> factory) {
    Map<String, KeyEncryptionKeyProvider> providers = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, Map<String, String>> e : settings(options).entrySet()) {
        providers.put(e.getKey(), factory.apply(e.getKey(), e.getValue()));
      }
      for (KeyReference k : options.decryptOnlyKeys()) {
        String id = providerIdOf(k, options);
        if (!providers.get(id).serves(k)) {
          throw new IllegalArgumentException("--decrypt-only-key " + k + " is not served by the '"
              + id + "' provider as configured (its vaults= or token= leave it out)");
        }
      }
      return providers;
    } catch (RuntimeException e) {
      providers.values().forEach(KeyEncryptionKeyProvider::close);
      throw e;
    }
  }

  /**
   * Makes providers with the factories found by {@link ProviderDiscovery}.
   *
   * @return the factory function
   */
  static BiFunction<String, Map<String, String>, KeyEncryptionKeyProvider> discovered() {
    return (id, settings) -> {
      Map<String, KeyEncryptionKeyProviderFactory> factories = ProviderDiscovery.discover();
      KeyEncryptionKeyProviderFactory factory = factories.get(id);
      if (factory == null) {
        throw new IllegalArgumentException(
            "no key provider '" + id + "' on the class path; found " + factories.keySet());
      }
      return factory.create(settings);
    };
  }
}
