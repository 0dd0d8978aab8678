package dev.cmk.cli;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import dev.cmk.api.spi.KeyManager;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Opens the key providers a command needs, chosen by the key references involved, and closes them
 * at the end. At most one provider per provider id (one keystore, one PKCS#11 token, one Azure
 * provider for every allowed vault), as {@code EnvelopeCrypto} requires. Providers are built by
 * the {@code KeyEncryptionKeyProviderFactory} that {@link ProviderFactories} discovers for their id
 * ({@code keystore}, {@code pkcs11}, {@code azure-keyvault}), from string settings that name
 * where a secret is (a file or an environment variable), never the secret itself.
 *
 * <p><b>Security:</b> every reference is checked against the user's {@link KeyAllowList} before
 * any provider is built, so an envelope naming another vault or token fails before a network
 * connection, a token request, a PKCS#11 library load or a PIN read. The Azure provider serves
 * only the allowed vaults (never {@code "*"}), so the core refuses anything else too; the PKCS#11
 * provider exactly the one allowed token. Discovery itself runs only once a reference has passed
 * the allow-list. The keystore password and the PIN are read from the file or environment
 * variable named by the options (or the {@code CMK_*} defaults) by the providers themselves, when
 * they need them; this class never holds them.
 */
final class ProviderSession implements AutoCloseable {
  private final KeyOptions options;
  private final Context ctx;
  private final KeyAllowList allowList;
  /** Provider id of {@code cmk-keystore}'s factory. */
  static final String KEYSTORE_ID = "keystore";
  /** Provider id of {@code cmk-softhsm}'s factory. */
  static final String PKCS11_ID = "pkcs11";
  /** Provider id of {@code cmk-azure-keyvault}'s factory. */
  static final String AZURE_ID = "azure-keyvault";

  /** The key name of {@link #storeOf} references (never used as a key). */
  private static final String STORE_PLACEHOLDER = "cmk-key-store";

  private final Map<String, KeyEncryptionKeyProvider> byId = new LinkedHashMap<>();
  private @Nullable Map<String, KeyEncryptionKeyProviderFactory> factories;

  ProviderSession(KeyOptions options, Context ctx, KeyAllowList allowList) {
    this.options = options;
    this.ctx = ctx;
    this.allowList = allowList;
    options.refuseSecretsOnCommandLine();
  }

  /** The provider for one reference. */
  KeyEncryptionKeyProvider providerFor(KeyReference reference) {
    return open(List.of(reference)).get(0);
  }

  /**
   * Opens the providers serving {@code references} (once each) and returns them.
   *
   * @throws CliException (key access) if a reference is outside the allow-list, checked before
   *     anything is opened; (usage) for missing settings; (unavailable) for providers that cannot
   *     start
   */
  List<KeyEncryptionKeyProvider> open(Collection<KeyReference> references) {
    for (KeyReference r : references) {
      allowList.check(r);
    }
    Set<String> tokens = new LinkedHashSet<>();
    boolean local = false;
    boolean azure = false;
    for (KeyReference r : references) {
      switch (r.kind()) {
        case LOCAL:
          local = true;
          break;
        case PKCS11:
          tokens.add(r.authority());
          break;
        default:
          azure = true;
          break;
      }
    }
    List<KeyEncryptionKeyProvider> result = new ArrayList<>();
    if (local) {
      result.add(keystore(false));
    }
    if (!tokens.isEmpty()) {
      result.add(pkcs11(tokens));
    }
    if (azure) {
      result.add(azure());
    }
    return result;
  }

  /** Every provider opened so far. */
  List<KeyEncryptionKeyProvider> opened() {
    return List.copyOf(byId.values());
  }

  /**
   * The key manager of the provider serving {@code key}'s key store, which the {@code keys}
   * commands use whatever the backend.
   *
   * @param key a key, or a {@linkplain #storeOf store reference}
   * @param createStore whether to create a missing keystore file ({@code local:} keys)
   * @throws CliException (usage) if that provider has no key manager
   */
  KeyManager keyManagerFor(KeyReference key, boolean createStore) {
    KeyEncryptionKeyProvider provider =
        key.kind() == KeyReference.Kind.LOCAL ? keystore(createStore) : providerFor(key);
    return provider
        .keyManager()
        .orElseThrow(
            () ->
                new CliException(
                    ExitCode.USAGE,
                    "the '" + provider.id() + "' key provider has no key manager: manage "
                        + key.versionless() + " with the key store's own tools"));
  }

  /**
   * A reference that stands for a key store in {@link #keyManagerFor}: the PKCS#11 token labelled
   * {@code tokenLabel}, or the keystore when that is null. Only its kind and token are used.
   */
  static KeyReference storeOf(@Nullable String tokenLabel) {
    return tokenLabel == null
        ? KeyReference.local(STORE_PLACEHOLDER, null)
        : KeyReference.pkcs11(tokenLabel, STORE_PLACEHOLDER, null);
  }

  /**
   * How reports name the key store of {@code key}: {@code keystore} and its file, or {@code
   * token} and its label.
   */
  Map.Entry<String, String> storeField(KeyReference key) {
    return key.kind() == KeyReference.Kind.LOCAL
        ? Map.entry("keystore", keystorePath())
        : Map.entry("token", key.authority());
  }

  /** The keystore provider, opened at most once. */
  private KeyEncryptionKeyProvider keystore(boolean create) {
    KeyEncryptionKeyProvider existing = byId.get(KEYSTORE_ID);
    return existing != null ? existing : create(KEYSTORE_ID, keystoreSettings(create));
  }

  private String keystorePath() {
    String path = options.keystore != null ? options.keystore.toString() : ctx.getenv(KeyOptions.ENV_KEYSTORE);
    if (path == null) {
      throw new CliException(
          ExitCode.USAGE,
          "local: keys live in a keystore: give --keystore FILE (or set $"
              + KeyOptions.ENV_KEYSTORE + ")");
    }
    return path;
  }

  /** Settings of the {@code keystore} factory: the file, and where its password is (never it). */
  private Map<String, String> keystoreSettings(boolean create) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("path", keystorePath());
    settings.put("create", String.valueOf(create));
    if (options.keystorePasswordFile != null && options.keystorePasswordEnv != null) {
      throw new CliException(
          ExitCode.USAGE, "give either --keystore-password-file or --keystore-password-env");
    }
    if (options.keystorePasswordFile != null) {
      settings.put("password-file", options.keystorePasswordFile.toString());
    } else {
      String variable =
          options.keystorePasswordEnv != null
              ? options.keystorePasswordEnv
              : KeyOptions.ENV_KEYSTORE_PASSWORD;
      if (ctx.getenv(variable) == null) {
        throw new CliException(
            ExitCode.USAGE,
            "no keystore password: environment variable " + variable + " is not set (use"
                + " --keystore-password-file FILE, --keystore-password-env VAR or $"
                + KeyOptions.ENV_KEYSTORE_PASSWORD + ")");
      }
      settings.put("password-env", variable);
    }
    return settings;
  }

  private KeyEncryptionKeyProvider pkcs11(Set<String> tokens) {
    KeyEncryptionKeyProvider existing = byId.get(PKCS11_ID);
    if (existing != null) {
      return existing;
    }
    if (tokens.size() > 1) {
      throw new CliException(
          ExitCode.USAGE, "keys of several PKCS#11 tokens " + tokens + " in one command");
    }
    String token = tokens.iterator().next();
    if (token.isEmpty()) {
      throw new CliException(
          ExitCode.USAGE, "a pkcs11: key reference must name its token (token=...)");
    }
    String library =
        options.pkcs11Library != null
            ? options.pkcs11Library.toString()
            : ctx.getenv(KeyOptions.ENV_PKCS11_LIBRARY);
    if (library == null) {
      throw new CliException(
          ExitCode.USAGE,
          "pkcs11: keys need --pkcs11-library FILE (or $" + KeyOptions.ENV_PKCS11_LIBRARY + ")");
    }
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("library", library);
    settings.put("token", token);
    if (options.pinFile != null && options.pinEnv != null) {
      throw new CliException(ExitCode.USAGE, "give either --pin-file or --pin-env");
    }
    if (options.pinFile != null) {
      settings.put("pin-file", options.pinFile.toString());
    } else {
      String variable = options.pinEnv != null ? options.pinEnv : KeyOptions.ENV_PKCS11_PIN;
      if (ctx.getenv(variable) == null) {
        throw new CliException(
            ExitCode.USAGE,
            "no PKCS#11 PIN: environment variable " + variable + " is not set (use --pin-file"
                + " FILE, --pin-env VAR or $" + KeyOptions.ENV_PKCS11_PIN + ")");
      }
      settings.put("pin-env", variable);
    }
    return create(PKCS11_ID, settings);
  }

  private KeyEncryptionKeyProvider azure() {
    KeyEncryptionKeyProvider existing = byId.get(AZURE_ID);
    if (existing != null) {
      return existing;
    }
    Map<String, String> settings = new LinkedHashMap<>();
    // Exactly the allowed vaults, never "*" (any vault).
    settings.put("vaults", String.join(",", allowList.vaults()));
    if (options.managedIdentity == null) {
      settings.put("credential", "default-azure-credential");
    } else if (options.managedIdentity.isEmpty()) {
      settings.put("credential", "system-assigned-managed-identity");
    } else {
      settings.put("credential", "user-assigned-managed-identity");
      settings.put("managed-identity-client-id", options.managedIdentity);
    }
    return create(AZURE_ID, settings);
  }

  /**
   * Builds a provider with the discovered factory for {@code id}. Called only for references the
   * allow-list passed.
   */
  private KeyEncryptionKeyProvider create(String id, Map<String, String> settings) {
    KeyEncryptionKeyProviderFactory factory = factories().get(id);
    if (factory == null) {
      throw new CliException(
          ExitCode.PROVIDER_UNAVAILABLE,
          "no key provider '" + id + "' found (ServiceLoader); available: "
              + factories().keySet() + ". Is its jar on the class path?");
    }
    KeyEncryptionKeyProvider p;
    try {
      p = factory.create(Map.copyOf(settings));
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCode.USAGE, e.getMessage(), e.getCause());
    } catch (IllegalStateException e) {
      throw new CliException(ExitCode.PROVIDER_UNAVAILABLE, e.getMessage(), e.getCause());
    }
    if (!id.equals(p.id())) {
      p.close();
      throw new CliException(
          ExitCode.INTERNAL,
          "the key provider factory " + factory.getClass().getName() + " for '" + id
              + "' built a provider with id '" + p.id() + "'");
    }
    byId.put(id, p);
    return p;
  }

  private Map<String, KeyEncryptionKeyProviderFactory> factories() {
    Map<String, KeyEncryptionKeyProviderFactory> found = factories;
    if (found == null) {
      try {
        found = ctx.factories().discover();
      } catch (IllegalStateException | java.util.ServiceConfigurationError e) {
        throw new CliException(ExitCode.INTERNAL, e.getMessage(), e);
      }
      factories = found;
    }
    return found;
  }

  @Override
  public void close() {
    for (KeyEncryptionKeyProvider p : byId.values()) {
      p.close();
    }
    byId.clear();
  }
}
