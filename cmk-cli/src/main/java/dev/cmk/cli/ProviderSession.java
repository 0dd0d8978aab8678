package dev.cmk.cli;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.SecretSource;
import dev.cmk.azure.AzureKeyVaultProvider;
import dev.cmk.azure.AzureKeyVaultProviderBuilder;
import dev.cmk.keystore.KeystoreKeyProvider;
import dev.cmk.keystore.KeystoreKeyProviderBuilder;
import dev.cmk.softhsm.Pkcs11KeyProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Opens the key providers a command needs, chosen by the key references involved, and closes them
 * at the end. At most one provider per provider id (one keystore, one PKCS#11 token, one Azure
 * provider for every allowed vault), as {@code EnvelopeCrypto} requires.
 *
 * <p><b>Security:</b> every reference is checked against the user's {@link KeyAllowList} before
 * any provider is built, so an envelope naming another vault or token fails before a network
 * connection, a token request, a PKCS#11 library load or a PIN read. The Azure provider serves
 * only the allowed vaults (never {@code allowAnyVault}), so the core refuses anything else too.
 * The keystore password and the PIN are read from the file or environment variable named by the
 * options (or the {@code CMK_*} defaults) by the providers themselves, when they need them; this
 * class never holds them.
 */
final class ProviderSession implements AutoCloseable {
  private final KeyOptions options;
  private final Context ctx;
  private final KeyAllowList allowList;
  private final Map<String, KeyEncryptionKeyProvider> byId = new LinkedHashMap<>();

  /** A session for the keystore commands ({@code local:} keys only). */
  ProviderSession(KeyOptions options, Context ctx) {
    this(options, ctx, KeyAllowList.localOnly());
  }

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
   * The keystore provider.
   *
   * @param create whether to create a missing keystore file
   */
  KeystoreKeyProvider keystore(boolean create) {
    KeyEncryptionKeyProvider existing = byId.get(KeystoreKeyProvider.ID);
    if (existing != null) {
      return (KeystoreKeyProvider) existing;
    }
    Path path = options.keystore;
    if (path == null && ctx.getenv(KeyOptions.ENV_KEYSTORE) != null) {
      path = Path.of(ctx.getenv(KeyOptions.ENV_KEYSTORE));
    }
    if (path == null) {
      throw new CliException(
          ExitCode.USAGE,
          "local: keys live in a keystore: give --keystore FILE (or set $"
              + KeyOptions.ENV_KEYSTORE + ")");
    }
    KeystoreKeyProviderBuilder b = KeystoreKeyProvider.builder().path(path).create(create);
    if (options.keystorePasswordFile != null && options.keystorePasswordEnv != null) {
      throw new CliException(
          ExitCode.USAGE, "give either --keystore-password-file or --keystore-password-env");
    }
    if (options.keystorePasswordFile != null) {
      b.passwordFile(options.keystorePasswordFile);
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
      b.password(() -> ctx.getenv(variable).toCharArray());
    }
    KeystoreKeyProvider p;
    try {
      p = b.build();
    } catch (IllegalStateException e) {
      throw new CliException(ExitCode.PROVIDER_UNAVAILABLE, e.getMessage(), e.getCause());
    }
    byId.put(p.id(), p);
    return p;
  }

  private Pkcs11KeyProvider pkcs11(Set<String> tokens) {
    KeyEncryptionKeyProvider existing = byId.get(Pkcs11KeyProvider.ID);
    if (existing != null) {
      return (Pkcs11KeyProvider) existing;
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
    Path library = options.pkcs11Library;
    if (library == null && ctx.getenv(KeyOptions.ENV_PKCS11_LIBRARY) != null) {
      library = Path.of(ctx.getenv(KeyOptions.ENV_PKCS11_LIBRARY));
    }
    if (library == null) {
      throw new CliException(
          ExitCode.USAGE,
          "pkcs11: keys need --pkcs11-library FILE (or $" + KeyOptions.ENV_PKCS11_LIBRARY + ")");
    }
    SecretSource pin;
    if (options.pinFile != null && options.pinEnv != null) {
      throw new CliException(ExitCode.USAGE, "give either --pin-file or --pin-env");
    }
    if (options.pinFile != null) {
      pin = SecretSource.ofFile(options.pinFile);
    } else {
      String variable = options.pinEnv != null ? options.pinEnv : KeyOptions.ENV_PKCS11_PIN;
      if (ctx.getenv(variable) == null) {
        throw new CliException(
            ExitCode.USAGE,
            "no PKCS#11 PIN: environment variable " + variable + " is not set (use --pin-file"
                + " FILE, --pin-env VAR or $" + KeyOptions.ENV_PKCS11_PIN + ")");
      }
      pin = SecretSource.ofCallback(() -> ctx.getenv(variable).toCharArray());
    }
    Pkcs11KeyProvider p;
    try {
      p = Pkcs11KeyProvider.builder().library(library).tokenLabel(token).pin(pin).build();
    } catch (IllegalStateException e) {
      throw new CliException(ExitCode.PROVIDER_UNAVAILABLE, e.getMessage(), e.getCause());
    }
    byId.put(p.id(), p);
    return p;
  }

  private AzureKeyVaultProvider azure() {
    KeyEncryptionKeyProvider existing = byId.get(AzureKeyVaultProvider.ID);
    if (existing != null) {
      return (AzureKeyVaultProvider) existing;
    }
    AzureKeyVaultProviderBuilder b = AzureKeyVaultProvider.builder();
    for (String v : allowList.vaults()) {
      b.addVault(v);
    }
    ctx.azureSetup().configure(b, options);
    AzureKeyVaultProvider p;
    try {
      p = b.build();
    } catch (IllegalStateException e) {
      throw new CliException(ExitCode.PROVIDER_UNAVAILABLE, e.getMessage(), e.getCause());
    }
    byId.put(p.id(), p);
    return p;
  }

  @Override
  public void close() {
    for (KeyEncryptionKeyProvider p : byId.values()) {
      p.close();
    }
    byId.clear();
  }
}
