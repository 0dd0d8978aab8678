package dev.cmk.cli;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import dev.cmk.api.spi.SecretSource;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.state.azureblob.BlobDataKeyStore;
import dev.cmk.state.jdbc.DriverManagerDataSource;
import dev.cmk.state.jdbc.JdbcDataKeyStore;
import java.net.URI;
import org.jspecify.annotations.Nullable;

/**
 * Opens the data-key store {@link DataKeyStoreOptions} name: a {@link JdbcDataKeyStore} over a
 * {@link DriverManagerDataSource}, a new connection per call ({@code jdbc:} with the PostgreSQL
 * and H2 drivers in the tool), or a {@link BlobDataKeyStore} over a container client ({@code
 * azure-blob:}, with a connection string from a file or variable, else DefaultAzureCredential or
 * a managed identity).
 *
 * <p><b>Security:</b> the database password and the connection string are read from the file or
 * variable the options name, when a connection needs them; they never appear in a message (the
 * store's own messages name operation, table or container, never credentials), and reports name
 * the store by {@link DataKeyStoreOptions#describe}.
 */
final class DataKeyStores {
  private static final String JDBC = "jdbc:";
  private static final String BLOB = "azure-blob:";
  /** Connection strings with a SAS token run long; the SPI's default bound is for passwords. */
  private static final int MAX_CONNECTION_STRING = 16 * 1024;

  private DataKeyStores() {}

  /** A store and how reports name it. */
  record Opened(DataKeyStore store, String description) {}

  /**
   * The store the options name.
   *
   * @param options the options
   * @param ctx environment
   * @param managedIdentity {@code --managed-identity} (azure-blob without a connection string)
   * @param createTable whether a jdbc: store may create its missing table (writers), or must find
   *     it (readers and maintenance)
   * @return the store, or null when no store was named
   * @throws CliException (usage) for a malformed spec, a secret in it, or a missing table
   */
  static @Nullable Opened open(DataKeyStoreOptions options, Context ctx,
      @Nullable String managedIdentity, boolean createTable) {
    String spec = options.spec(ctx);
    if (spec == null) {
      return null;
    }
    String description = DataKeyStoreOptions.describe(spec);
    if (DataKeyStoreOptions.carriesSecret(spec)) {
      throw new CliException(ExitCode.USAGE, "the data-key store " + description + " must not"
          + " carry a password, key or SAS token: give it with --data-key-store-password-file/-env"
          + " or --data-key-store-connection-string-file/-env");
    }
    DataKeyStore store;
    if (spec.startsWith(JDBC)) {
      store = jdbc(spec, options, ctx, createTable, description);
    } else if (spec.startsWith(BLOB)) {
      store = blob(spec.substring(BLOB.length()), options, ctx, managedIdentity, description);
    } else {
      throw new CliException(ExitCode.USAGE, "--data-key-store must be jdbc:URL or"
          + " azure-blob:https://ACCOUNT.blob.core.windows.net/CONTAINER");
    }
    return new Opened(store, description);
  }

  /**
   * The store the options name, required.
   *
   * @throws CliException (usage) when none is named
   */
  static Opened require(DataKeyStoreOptions options, Context ctx, @Nullable String managedIdentity,
      boolean createTable) {
    Opened opened = open(options, ctx, managedIdentity, createTable);
    if (opened == null) {
      throw new CliException(ExitCode.USAGE, "give the data-key store: --data-key-store jdbc:URL"
          + " or azure-blob:CONTAINER-URL (or $" + DataKeyStoreOptions.ENV_STORE + ")");
    }
    return opened;
  }

  private static DataKeyStore jdbc(String url, DataKeyStoreOptions o, Context ctx,
      boolean createTable, String description) {
    String user = o.user != null ? o.user : ctx.getenv(DataKeyStoreOptions.ENV_USER);
    SecretSource password = secret(o.passwordFile, o.passwordEnv,
        DataKeyStoreOptions.ENV_PASSWORD, ctx, "data-key store password", "--data-key-store-password");
    // One DriverManager connection per store call: the CLI runs one command, so no pool.
    DriverManagerDataSource.Builder db = DriverManagerDataSource.builder().url(url);
    if (user != null) {
      db.user(user);
    }
    if (password != null) {
      db.password(password);
    }
    JdbcDataKeyStore.Builder b = JdbcDataKeyStore.builder().dataSource(db.build())
        .createTable(createTable);
    if (o.table != null) {
      try {
        b.table(o.table);
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCode.USAGE, "--data-key-store-table: " + e.getMessage());
      }
    }
    try {
      return b.build();
    } catch (IllegalStateException e) {
      throw new CliException(ExitCode.USAGE, "data-key store " + description + ": "
          + e.getMessage(), e.getCause());
    }
  }

  private static DataKeyStore blob(String url, DataKeyStoreOptions o, Context ctx,
      @Nullable String managedIdentity, String description) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCode.USAGE, "azure-blob: needs a container URL");
    }
    if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null
        || uri.getRawQuery() != null || uri.getPath() == null || uri.getPath().length() < 2) {
      throw new CliException(ExitCode.USAGE, "azure-blob: needs a container URL,"
          + " https://ACCOUNT.blob.core.windows.net/CONTAINER (no query)");
    }
    SecretSource connection = secret(o.connectionStringFile, o.connectionStringEnv,
        DataKeyStoreOptions.ENV_CONNECTION_STRING, ctx, "storage connection string",
        "--data-key-store-connection-string");
    String text = null;
    if (connection != null) {
      try {
        text = connection.limitedTo(MAX_CONNECTION_STRING).apply(String::new);
      } catch (RuntimeException e) {
        // The source's message names the file or variable, never its content.
        throw new CliException(ExitCode.USAGE, "data-key store " + description + ": "
            + e.getMessage());
      }
    }
    BlobContainerClientBuilder cb = new BlobContainerClientBuilder();
    BlobContainerClient client;
    try {
      if (text != null) {
        cb.connectionString(text).endpoint(url); // credential from it, container from the URL
      } else {
        cb.endpoint(url).credential(credential(managedIdentity));
      }
      client = cb.buildClient();
    } catch (IllegalArgumentException | IllegalStateException e) {
      // Without the cause: a parser's message could quote the connection string.
      throw new CliException(ExitCode.USAGE, "data-key store " + description + ": the container"
          + " URL or the connection string " + (connection == null ? "" : "(" + connection + ")")
          + " is not valid");
    }
    return BlobDataKeyStore.builder().containerClient(client).build();
  }

  private static TokenCredential credential(@Nullable String managedIdentity) {
    if (managedIdentity == null) {
      return new DefaultAzureCredentialBuilder().build();
    }
    ManagedIdentityCredentialBuilder b = new ManagedIdentityCredentialBuilder();
    return managedIdentity.isEmpty() ? b.build() : b.clientId(managedIdentity).build();
  }

  /**
   * The secret from {@code file}, else the variable {@code variable}, else the default variable
   * when it is set; null when none applies.
   */
  private static @Nullable SecretSource secret(java.nio.file.@Nullable Path file,
      @Nullable String variable, String defaultVariable, Context ctx, String name, String option) {
    if (file != null && variable != null) {
      throw new CliException(ExitCode.USAGE, "give either " + option + "-file or " + option
          + "-env");
    }
    if (file != null) {
      return SecretSource.ofFile(file).named(name);
    }
    String v = variable != null ? variable : defaultVariable;
    if (variable == null && ctx.getenv(v) == null) {
      return null;
    }
    try {
      return SecretSource.ofEnvironment(v, ctx::getenv).named(name);
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCode.USAGE, option + "-env: " + e.getMessage());
    }
  }
}
