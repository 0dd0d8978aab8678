package dev.cmk.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import org.jspecify.annotations.Nullable;

/**
 * Where keys live and how to reach them. Which provider is used follows from the key reference:
 * {@code local:} &rarr; the PKCS#12 keystore, {@code pkcs11:} &rarr; a PKCS#11 token, {@code
 * https://….vault.azure.net/…} or {@code ….managedhsm.azure.net} &rarr; Azure Key Vault / Managed
 * HSM. Secrets come only from files or environment variables.
 */
final class KeyOptions {
  /** Environment variable naming the keystore file when {@code --keystore} is not given. */
  static final String ENV_KEYSTORE = "CMK_KEYSTORE";
  /** Environment variable holding the keystore password when no password option is given. */
  static final String ENV_KEYSTORE_PASSWORD = "CMK_KEYSTORE_PASSWORD";
  /** Environment variable naming the PKCS#11 library when {@code --pkcs11-library} is not given. */
  static final String ENV_PKCS11_LIBRARY = "CMK_PKCS11_LIBRARY";
  /** Environment variable holding the PKCS#11 user PIN when no PIN option is given. */
  static final String ENV_PKCS11_PIN = "CMK_PKCS11_PIN";

  @Option(
      names = "--keystore",
      paramLabel = "FILE",
      description = "PKCS#12 keystore for local: keys (default: $" + ENV_KEYSTORE + ").")
  @Nullable Path keystore;

  @Option(
      names = "--keystore-password-file",
      paramLabel = "FILE",
      description = "File holding the keystore password (one trailing newline is ignored).")
  @Nullable Path keystorePasswordFile;

  @Option(
      names = "--keystore-password-env",
      paramLabel = "VAR",
      description = "Environment variable holding the keystore password"
          + " (default: $" + ENV_KEYSTORE_PASSWORD + ").")
  @Nullable String keystorePasswordEnv;

  @Option(
      names = "--pkcs11-library",
      paramLabel = "FILE",
      description = "PKCS#11 library for pkcs11: keys, e.g. /usr/lib/softhsm/libsofthsm2.so"
          + " (default: $" + ENV_PKCS11_LIBRARY + ").")
  @Nullable Path pkcs11Library;

  @Option(names = "--pin-file", paramLabel = "FILE", description = "File holding the PKCS#11 user PIN.")
  @Nullable Path pinFile;

  @Option(
      names = "--pin-env",
      paramLabel = "VAR",
      description = "Environment variable holding the PKCS#11 user PIN (default: $" + ENV_PKCS11_PIN + ").")
  @Nullable String pinEnv;

  @Option(
      names = "--managed-identity",
      arity = "0..1",
      fallbackValue = "",
      paramLabel = "CLIENT-ID",
      description = "Azure: use the system-assigned managed identity, or the user-assigned one with"
          + " this client id. Default: DefaultAzureCredential (environment, workload identity,"
          + " managed identity, Azure CLI, ...).")
  @Nullable String managedIdentity;

  /** Refused on purpose: secrets on the command line end up in shell history and ps output. */
  @Option(
      names = {"--pin", "--password", "--keystore-password"},
      hidden = true,
      paramLabel = "SECRET")
  @Nullable String refusedSecret;

  /**
   * Fails if a secret was given on the command line, without repeating it.
   *
   * @throws CliException (usage) when one was
   */
  void refuseSecretsOnCommandLine() {
    if (refusedSecret != null) {
      throw new CliException(
          ExitCode.USAGE,
          "passwords and PINs are never accepted on the command line: use --pin-file/--pin-env,"
              + " --keystore-password-file/--keystore-password-env or $" + ENV_KEYSTORE_PASSWORD);
    }
  }
}
