package dev.cmk.examples.fhir.internal;

import dev.cmk.api.KeyReference;
import dev.cmk.examples.fhir.FhirServer;
import dev.cmk.examples.fhir.KeySettings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The command line of {@code FhirServerMain}: each option also reads an environment variable,
 * the command line winning. Key settings come either from options or from a properties file
 * ({@code --key-settings}), which is re-read on every {@code POST /$cmk-refresh}.
 *
 * @param host the listen address
 * @param port the port (0 = free)
 * @param jdbcUrl the database
 * @param keySettings where the key settings come from
 * @param keySettingsFile the properties file, or {@code null} when options give the settings
 * @param demoClock whether to run on the demo clock
 * @param keyState where the fleet's key-access state lives: {@code memory} or a JDBC URL
 * @param replicaName this replica's name in the fleet state, or {@code null} for the default
 */
public record ServerOptions(
    String host,
    int port,
    String jdbcUrl,
    Supplier<KeySettings> keySettings,
    Path keySettingsFile,
    boolean demoClock,
    String keyState,
    String replicaName) {

  /** Option name, environment variable and help text, in help order. */
  private static final List<String[]> OPTIONS =
      List.of(
          new String[] {"--port", "FHIR_PORT", "port to listen on (default 8080; 0 = any free port)"},
          new String[] {"--host", "FHIR_HOST", "address to listen on (default 127.0.0.1)"},
          new String[] {"--jdbc-url", "FHIR_JDBC_URL",
              "database: jdbc:hsqldb:, jdbc:h2: or jdbc:postgresql: (default "
                  + FhirServer.DEFAULT_JDBC_URL + ")"},
          new String[] {"--key-state", "CMK_KEY_STATE",
              "the key's loss-of-access state shared by replicas: memory (default, this process"
                  + " only), jdbc:postgresql://... or jdbc:h2:..."},
          new String[] {"--replica-name", "CMK_REPLICA_NAME",
              "this replica's name in the shared state (default: host name and process id)"},
          new String[] {"--key-encryption-key-url", "CMK_KEY_ENCRYPTION_KEY_URL",
              "https://{vault}.vault.azure.net/keys/{name}[/{version}] or local:{name}[/{version}]"},
          new String[] {"--identity", "CMK_IDENTITY_TYPE",
              "SystemAssigned (default) or UserAssigned managed identity (Azure keys)"},
          new String[] {"--user-assigned-client-id", "CMK_USER_ASSIGNED_CLIENT_ID",
              "client id of the user-assigned managed identity"},
          new String[] {"--keystore", "CMK_KEYSTORE", "PKCS#12 keystore file (local: keys)"},
          new String[] {"--keystore-password-file", "CMK_KEYSTORE_PASSWORD_FILE",
              "file holding the keystore password"},
          new String[] {"--keystore-password-env", "CMK_KEYSTORE_PASSWORD_ENV",
              "name of the environment variable holding the keystore password"},
          new String[] {"--key-settings", "CMK_KEY_SETTINGS",
              "properties file with the key settings (keyEncryptionKeyUrl, identity.type,"
                  + " identity.userAssignedClientId, keystore.path, keystore.passwordFile,"
                  + " keystore.passwordEnvironment), re-read on POST /$cmk-refresh"});

  /** Validates. */
  public ServerOptions {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Objects.requireNonNull(keySettings, "keySettings");
    KeyStateStore.check(keyState);
  }

  /**
   * The help text.
   *
   * @return usage and every option with its environment variable
   */
  public static String usage() {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: java -jar cmk-example-fhir-server.jar [options]\n\n")
        .append("A FHIR R4 server storing every resource version encrypted under a"
            + " customer-managed key.\n\nOptions (each also read from the environment variable"
            + " shown):\n");
    for (String[] o : OPTIONS) {
      sb.append(String.format("  %-26s %-28s %s%n", o[0] + " X", o[1], o[2]));
    }
    sb.append(String.format("  %-26s %-28s %s%n", "--demo-clock", "",
        "demo mode: POST /$demo-clock?advance=PT31M moves the server's clock forward"));
    sb.append(String.format("  %-26s %-28s %s%n", "--help", "", "this text"));
    return sb.toString();
  }

  /**
   * Parses the command line.
   *
   * @param args the arguments
   * @param env the environment
   * @return the options
   * @throws IllegalArgumentException with a one-line explanation if they are invalid
   */
  public static ServerOptions parse(String[] args, Map<String, String> env) {
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(env, "env");
    Map<String, String> values = new LinkedHashMap<>();
    for (String[] o : OPTIONS) {
      String v = env.get(o[1]);
      if (v != null && !v.isBlank()) {
        values.put(o[0], v.trim());
      }
    }
    boolean demoClock = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--demo-clock")) {
        demoClock = true;
        continue;
      }
      String name = a;
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        name = a.substring(0, eq);
        value = a.substring(eq + 1);
      }
      if (!known(name)) {
        throw new IllegalArgumentException("unknown option " + name + " (see --help)");
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(name + " needs a value");
        }
        value = args[++i];
      }
      values.put(name, value);
    }
    int port = 8080;
    if (values.containsKey("--port")) {
      try {
        port = Integer.parseInt(values.get("--port"));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--port must be a number");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("--port must be 0-65535");
      }
    }
    String host = values.getOrDefault("--host", "127.0.0.1");
    String jdbcUrl = values.getOrDefault("--jdbc-url", FhirServer.DEFAULT_JDBC_URL);
    String keyState = KeyStateStore.check(values.getOrDefault("--key-state", KeyStateStore.MEMORY));
    String replicaName = values.get("--replica-name");
    String settingsFile = values.get("--key-settings");
    if (settingsFile != null) {
      for (String o : List.of("--key-encryption-key-url", "--identity", "--user-assigned-client-id",
          "--keystore", "--keystore-password-file", "--keystore-password-env")) {
        if (values.containsKey(o)) {
          throw new IllegalArgumentException(
              "give the key settings either in --key-settings or as options, not both (" + o + ")");
        }
      }
      Path file = Path.of(settingsFile);
      KeySettings.load(file); // fail fast on a bad file
      return new ServerOptions(host, port, jdbcUrl, () -> KeySettings.load(file), file, demoClock,
          keyState, replicaName);
    }
    String url = values.get("--key-encryption-key-url");
    if (url == null) {
      throw new IllegalArgumentException(
          "--key-encryption-key-url (or CMK_KEY_ENCRYPTION_KEY_URL, or --key-settings) is required");
    }
    KeySettings.Builder b = KeySettings.builder().keyEncryptionKeyUrl(KeyReference.parse(url));
    if (values.containsKey("--identity")) {
      b.identityType(KeySettings.IdentityType.parse(values.get("--identity")));
    }
    if (values.containsKey("--user-assigned-client-id")) {
      b.userAssignedClientId(values.get("--user-assigned-client-id"));
    }
    if (values.containsKey("--keystore")) {
      b.keystore(Path.of(values.get("--keystore")));
    }
    if (values.containsKey("--keystore-password-file")) {
      b.keystorePasswordFile(Path.of(values.get("--keystore-password-file")));
    }
    if (values.containsKey("--keystore-password-env")) {
      b.keystorePasswordEnvironment(values.get("--keystore-password-env"));
    }
    KeySettings settings = b.build();
    return new ServerOptions(host, port, jdbcUrl, () -> settings, null, demoClock, keyState,
        replicaName);
  }

  private static boolean known(String name) {
    for (String[] o : OPTIONS) {
      if (o[0].equals(name)) {
        return true;
      }
    }
    return false;
  }
}
