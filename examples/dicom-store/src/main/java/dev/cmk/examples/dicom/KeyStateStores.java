package dev.cmk.examples.dicom;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetStateStore;
import dev.cmk.core.fleet.InMemoryFleetStateStore;
import dev.cmk.state.azureblob.BlobFleetStateStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * {@code --key-state}: where the store's replicas share the loss-of-access state of the key
 * (cmk-core's {@code FleetStateStore}).
 *
 * <ul>
 *   <li>{@code memory} (default): this process only — one replica, nothing shared.
 *   <li>{@code azure-blob:<container URL>}: cmk-state-azure-blob's {@link BlobFleetStateStore} in
 *       that container (which must exist), e.g. {@code
 *       https://contosostate.blob.core.windows.net/cmk-fleet}. The URL carries no secret (one
 *       with a query string is refused); the credential comes from exactly one {@code
 *       --key-state-setting}: {@code connection-string-env=VAR} or {@code
 *       connection-string-file=PATH} (a connection string with the account name and key), or
 *       {@code sas-token-env=VAR} or {@code sas-token-file=PATH}. Optional: {@code prefix=P}
 *       (blob name prefix, default {@code cmk-fleet-state/}).
 * </ul>
 *
 * <p>Replicas of one store name the same container and prefix; each names itself with {@code
 * --replica-name} (default: host name and process id).
 */
final class KeyStateStores {
  private static final Set<String> CREDENTIALS = Set.of("connection-string-env",
      "connection-string-file", "sas-token-env", "sas-token-file");

  private KeyStateStores() {}

  /**
   * The parsed {@code --key-state}, {@code --key-state-setting}s and {@code --replica-name}.
   *
   * @param spec {@code memory} or {@code azure-blob:<container URL>}
   * @param settings the store's settings
   * @param replicaName the replica's name, if given
   */
  record Options(String spec, Map<String, String> settings, Optional<String> replicaName) {
    /** The default: in memory, no settings, the default name. */
    static final Options DEFAULT = new Options("memory", Map.of(), Optional.empty());

    /** Checks the spec's form and copies the settings. */
    Options {
      if (!spec.equals("memory") && !spec.startsWith("azure-blob:")) {
        throw new IllegalArgumentException(
            "--key-state must be 'memory' or 'azure-blob:<container URL>'");
      }
      settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
      replicaName.ifPresent(FleetKeyState::checkReplicaName);
    }

    /** {@return the replica's name: --replica-name, or host name and process id} */
    String replica() {
      return replicaName.orElseGet(() -> {
        String host;
        try {
          host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
          host = "dicom-store";
        }
        String name = host + "-" + ProcessHandle.current().pid();
        return name.length() > FleetKeyState.MAX_RECORDED_BY
            ? name.substring(name.length() - FleetKeyState.MAX_RECORDED_BY) : name;
      });
    }
  }

  /**
   * Creates the store; makes no network call.
   *
   * @param options the parsed options
   * @param env environment lookup (tests pass their own)
   * @return the store
   * @throws IllegalArgumentException naming the setting that is wrong or missing (never its value)
   */
  static FleetStateStore create(Options options, UnaryOperator<String> env) {
    if (options.spec().equals("memory")) {
      if (!options.settings().isEmpty()) {
        throw new IllegalArgumentException("--key-state memory takes no --key-state-setting");
      }
      return new InMemoryFleetStateStore();
    }
    URI url = containerUrl(options.spec().substring("azure-blob:".length()));
    Map<String, String> settings = options.settings();
    for (String name : settings.keySet()) {
      if (!CREDENTIALS.contains(name) && !name.equals("prefix")) {
        throw new IllegalArgumentException("unknown --key-state-setting '" + name
            + "'; azure-blob takes " + List.of("connection-string-env", "connection-string-file",
            "sas-token-env", "sas-token-file", "prefix"));
      }
    }
    List<String> given = settings.keySet().stream().filter(CREDENTIALS::contains).toList();
    if (given.size() != 1) {
      throw new IllegalArgumentException("--key-state azure-blob needs exactly one credential"
          + " setting: connection-string-env, connection-string-file, sas-token-env or"
          + " sas-token-file (given: " + given + ")");
    }
    String setting = given.get(0);
    String secret = secret(setting, settings.get(setting), env);
    BlobContainerClientBuilder client = new BlobContainerClientBuilder()
        .endpoint(url.toString())
        // Short: the guard retries at its next probe anyway.
        .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 3,
            Duration.ofSeconds(5), Duration.ofMillis(200), Duration.ofSeconds(2), null));
    if (setting.startsWith("connection-string")) {
      try {
        client.credential(StorageSharedKeyCredential.fromConnectionString(secret));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("--key-state-setting " + setting
            + ": not a connection string with AccountName and AccountKey");
      }
    } else {
      client.sasToken(secret);
    }
    BlobContainerClient container = client.buildClient();
    BlobFleetStateStore.Builder store = BlobFleetStateStore.builder().containerClient(container);
    if (settings.containsKey("prefix")) {
      store.blobPrefix(settings.get("prefix"));
    }
    return store.build();
  }

  private static URI containerUrl(String text) {
    URI url;
    try {
      url = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--key-state azure-blob: not a URL");
    }
    if (url.getRawQuery() != null || url.getRawFragment() != null || url.getUserInfo() != null) {
      throw new IllegalArgumentException("--key-state azure-blob: the container URL must carry"
          + " no query, fragment or user (put a SAS token in sas-token-file or sas-token-env)");
    }
    if (!("https".equals(url.getScheme()) || "http".equals(url.getScheme()))
        || url.getHost() == null || url.getPath() == null || url.getPath().length() < 2) {
      throw new IllegalArgumentException(
          "--key-state azure-blob: expected https://<account>.blob.core.windows.net/<container>");
    }
    return url;
  }

  private static String secret(String setting, String value, UnaryOperator<String> env) {
    String secret;
    if (setting.endsWith("-env")) {
      secret = env.apply(value);
      if (secret == null || secret.isBlank()) {
        throw new IllegalArgumentException("--key-state-setting " + setting
            + ": environment variable " + value + " is not set");
      }
    } else {
      try {
        secret = Files.readString(Path.of(value), StandardCharsets.UTF_8);
      } catch (IOException | UncheckedIOException e) {
        throw new IllegalArgumentException("--key-state-setting " + setting
            + ": cannot read " + value);
      }
    }
    return secret.strip();
  }
}
