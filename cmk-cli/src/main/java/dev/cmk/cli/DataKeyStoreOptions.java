package dev.cmk.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * Where format 2's data-key records are: {@code --data-key-store jdbc:URL} (a database table) or
 * {@code azure-blob:CONTAINER-URL} (a blob container), and how to log in. Secrets (the database
 * password, a storage connection string) come only from a file or an environment variable, never
 * from the command line; a JDBC URL or container URL that carries one is refused. Opened by
 * {@link DataKeyStores}.
 */
final class DataKeyStoreOptions {
  /** Environment variable with the store when {@code --data-key-store} is not given. */
  static final String ENV_STORE = "CMK_DATA_KEY_STORE";
  /** Environment variable with the database user when {@code --data-key-store-user} is not given. */
  static final String ENV_USER = "CMK_DATA_KEY_STORE_USER";
  /** Environment variable with the database password when no password option is given. */
  static final String ENV_PASSWORD = "CMK_DATA_KEY_STORE_PASSWORD";
  /** Environment variable with a storage connection string when no option names one. */
  static final String ENV_CONNECTION_STRING = "CMK_DATA_KEY_STORE_CONNECTION_STRING";

  @Option(
      names = "--data-key-store",
      paramLabel = "STORE",
      description = "Format 2's data-key records: jdbc:URL (PostgreSQL, H2; e.g."
          + " jdbc:postgresql://HOST/DB) or azure-blob:https://ACCOUNT.blob.core.windows.net/"
          + "CONTAINER (default: $" + ENV_STORE + "). No password or SAS token in it.")
  @Nullable String store;

  @Option(
      names = "--data-key-store-user",
      paramLabel = "USER",
      description = "Database user of a jdbc: store (default: $" + ENV_USER + ").")
  @Nullable String user;

  @Option(
      names = "--data-key-store-password-file",
      paramLabel = "FILE",
      description = "File holding the database password (one trailing newline is ignored).")
  @Nullable Path passwordFile;

  @Option(
      names = "--data-key-store-password-env",
      paramLabel = "VAR",
      description = "Environment variable holding the database password (default: $"
          + ENV_PASSWORD + ", if set).")
  @Nullable String passwordEnv;

  @Option(
      names = "--data-key-store-connection-string-file",
      paramLabel = "FILE",
      description = "azure-blob: file holding the storage account's connection string (account"
          + " key or SAS). Default: DefaultAzureCredential (or --managed-identity).")
  @Nullable Path connectionStringFile;

  @Option(
      names = "--data-key-store-connection-string-env",
      paramLabel = "VAR",
      description = "azure-blob: environment variable holding the connection string (default: $"
          + ENV_CONNECTION_STRING + ", if set).")
  @Nullable String connectionStringEnv;

  @Option(
      names = "--data-key-store-table",
      paramLabel = "NAME",
      description = "jdbc: the table of the records (default: cmk_data_keys).")
  @Nullable String table;

  /** Refused on purpose: secrets on the command line end up in shell history and ps output. */
  @Option(
      names = {"--data-key-store-password", "--data-key-store-connection-string"},
      hidden = true,
      paramLabel = "SECRET")
  @Nullable String refusedSecret;

  /** The store spec given (option, then environment), or null when none is. */
  @Nullable String spec(Context ctx) {
    refuseSecretsOnCommandLine();
    return store != null ? store : ctx.getenv(ENV_STORE);
  }

  /**
   * Fails if a secret was given on the command line, without repeating it.
   *
   * @throws CliException (usage) when one was
   */
  void refuseSecretsOnCommandLine() {
    if (refusedSecret != null) {
      throw new CliException(ExitCode.USAGE, "passwords and connection strings are never accepted"
          + " on the command line: use --data-key-store-password-file/-env or"
          + " --data-key-store-connection-string-file/-env");
    }
  }

  /**
   * How reports name a store: its kind and location, without user information, parameters or
   * query (where secrets could be).
   */
  static String describe(String spec) {
    String s = spec;
    int cut = s.length();
    for (char c : new char[] {'?', ';', '&'}) {
      int i = s.indexOf(c);
      if (i >= 0) {
        cut = Math.min(cut, i);
      }
    }
    s = s.substring(0, cut);
    int scheme = s.indexOf("//");
    int at = s.indexOf('@', Math.max(scheme, 0));
    if (scheme >= 0 && at > scheme) {
      int slash = s.indexOf('/', scheme + 2);
      if (slash < 0 || at < slash) {
        s = s.substring(0, scheme + 2) + s.substring(at + 1);
      }
    }
    return s;
  }

  /** Whether {@code text} looks as if it carried a secret (a password, a SAS signature). */
  static boolean carriesSecret(String text) {
    String t = text.toLowerCase(Locale.ROOT);
    if (t.contains("password") || t.contains("sig=") || t.contains("accountkey")) {
      return true;
    }
    int scheme = t.indexOf("//");
    if (scheme >= 0) {
      int end = t.indexOf('/', scheme + 2);
      String authority = end < 0 ? t.substring(scheme + 2) : t.substring(scheme + 2, end);
      int at = authority.indexOf('@');
      return at >= 0 && authority.substring(0, at).contains(":");
    }
    return false;
  }
}
