package dev.cmk.examples.dicom;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.core.KeyConfiguration;
import dev.cmk.core.KeyPolicy;
import dev.cmk.keystore.KeystoreKeyProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiFunction;
import sun.misc.Signal;

/**
 * Runs the DICOM store from the command line with any key provider on the class or module path
 * (discovered with {@link dev.cmk.api.spi.ProviderDiscovery}, configured with {@code
 * --provider-setting}).
 *
 * <pre>
 * dicom-store --data-dir DIR --key REFERENCE [--provider ID] [--provider-setting [ID:]NAME=VALUE]...
 *             [--decrypt-only-key REFERENCE]... [--host ADDRESS] [--port N]
 *             [--max-instance-size BYTES] [--create-key-if-missing]
 *             [--key-state memory|azure-blob:URL] [--key-state-setting NAME=VALUE]...
 *             [--replica-name NAME] [--demo-clock]
 * </pre>
 *
 * <p>Several replicas: {@code --key-state azure-blob:<container URL>} shares the key's
 * loss-of-access state through a blob container (see {@link KeyStateStores}), so a replica that
 * restarts keeps "refresh required" and one {@code POST /$cmk-refresh} is followed by all.
 *
 * <p>Moving the key (another key, vault or HSM): restart with {@code --key} naming the new key and
 * the previous one as {@code --decrypt-only-key}; instances stored under it stay readable, new
 * ones are written under the new key. See {@link StoreProviders} for which providers that creates.
 *
 * <p>Exit status: 0 after a clean shutdown, 1 if the server could not start (one line on standard
 * error says why), 2 for a usage error.
 */
public final class DicomStoreMain {
  static final String USAGE =
      String.join(
          System.lineSeparator(),
          "usage: dicom-store --data-dir DIR --key REFERENCE [options]",
          "  --data-dir DIR              where encrypted instances are stored (created if missing)",
          "  --key REFERENCE             the customer-managed key, versionless to follow rotation:",
          "                              https://{vault}.vault.azure.net/keys/{name},",
          "                              pkcs11:token={label};object={name}, or local:{name}",
          "  --provider ID               key provider (default from the key: azure-keyvault,",
          "                              pkcs11 or keystore)",
          "  --provider-setting N=V      a provider setting, repeatable (names a file or variable",
          "                              holding a secret, never the secret itself); the store",
          "                              serves only its keys' vaults or token unless vaults=",
          "                              lists more (vaults=* is refused)",
          "  --provider-setting ID:N=V   a setting of provider ID, for a --decrypt-only-key of",
          "                              another kind (e.g. keystore:path=keys.p12)",
          "  --decrypt-only-key REFERENCE  a key the store still reads but no longer writes",
          "                              under, repeatable: the previous --key after a move",
          "                              (instances stored under it stay readable)",
          "  --host ADDRESS              listen address (default 127.0.0.1; no authentication!)",
          "  --port N                    listen port (default 8080; 0 = any free port)",
          "  --max-instance-size BYTES   largest accepted instance (default 32 GiB)",
          "  --create-key-if-missing     development only, keystore provider only: create a",
          "                              3072-bit RSA key in the local keystore if it is missing",
          "  --key-state SPEC            where replicas share the key's loss-of-access state:",
          "                              memory (default: this process only) or",
          "                              azure-blob:https://{account}.blob.core.windows.net/{c}",
          "  --key-state-setting N=V     azure-blob: connection-string-env=VAR, connection-",
          "                              string-file=PATH, sas-token-env=VAR or sas-token-file=",
          "                              PATH (exactly one; never the secret itself); prefix=P",
          "  --replica-name NAME         this replica's name in the shared state (default:",
          "                              host name and process id)",
          "  --demo-clock                demonstrations and tests only: a clock that",
          "                              POST /$demo-clock?advance=PT31M moves forward",
          "  --help                      this text");

  private DicomStoreMain() {}

  /**
   * Starts the server and serves until the process is stopped.
   *
   * @param args see the class description
   */
  public static void main(String[] args) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("dicom-store: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println(USAGE);
      return;
    }
    Running running;
    try {
      running = start(options, System.out);
    } catch (IOException | RuntimeException e) {
      System.err.println("dicom-store: " + e.getMessage());
      System.exit(1);
      return;
    }
    // SIGTERM and SIGINT are a normal stop: stop serving, close what we own, exit 0. (The JVM's
    // default handling would run the hooks too, but then exit 143 or 130.) The hook covers every
    // other way the JVM ends.
    CountDownLatch stopRequested = new CountDownLatch(1);
    for (String name : List.of("TERM", "INT")) {
      try {
        Signal.handle(new Signal(name), s -> stopRequested.countDown());
      } catch (IllegalArgumentException e) {
        // not a signal on this platform (or one the JVM reserves): default handling
      }
    }
    Thread hook = new Thread(running::close, "dicom-store-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      stopRequested.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Runtime.getRuntime().removeShutdownHook(hook);
    running.close();
    System.exit(0);
  }

  /**
   * Creates the provider, the crypto (DICOM key policy, background probe) and the server, and
   * starts it.
   *
   * @param options parsed options
   * @param out where the one-line start-up message goes
   * @return the running server and what it owns
   * @throws IOException if the data directory or port cannot be used
   * @throws IllegalArgumentException if a provider is unknown, its settings are wrong, or it does
   *     not serve a {@code --decrypt-only-key}
   * @throws dev.cmk.api.KeyPolicyViolationException if the key breaks the DICOM key policy
   */
  static Running start(Options options, PrintStream out) throws IOException {
    return start(options, out, StoreProviders.discovered());
  }

  /**
   * As {@link #start(Options, PrintStream)}, with providers made by {@code factory} from the
   * provider id and the settings {@link StoreProviders#settings} derives (tests give them a
   * transport to a loopback vault); the returned {@link Running} owns and closes them, and so
   * does a failed start.
   *
   * @param options parsed options
   * @param out where the one-line start-up message goes
   * @param factory makes a provider from its id and settings
   * @return the running server and what it owns
   * @throws IOException if the data directory or port cannot be used
   */
  static Running start(
      Options options,
      PrintStream out,
      BiFunction<String, Map<String, String>, KeyEncryptionKeyProvider> factory)
      throws IOException {
    return StoreLauncher.start(options, out, factory);
  }

  /**
   * The running server and the objects it owns, closed in reverse order of creation.
   *
   * @param server the server
   * @param crypto its crypto
   * @param probe the background probe scheduler
   * @param providers the key providers, the write key's first
   */
  record Running(
      DicomStoreServer server,
      EnvelopeCrypto crypto,
      ScheduledExecutorService probe,
      List<KeyEncryptionKeyProvider> providers)
      implements AutoCloseable {
    @Override
    public void close() {
      try {
        server.close();
      } finally {
        crypto.close();
        probe.shutdownNow();
        providers.forEach(KeyEncryptionKeyProvider::close);
      }
    }
  }

  /**
   * Parsed command line.
   *
   * @param dataDirectory {@code --data-dir}
   * @param key {@code --key}
   * @param providerId {@code --provider}, if given
   * @param providerSettings {@code --provider-setting}s ({@code ID:NAME} for provider {@code ID})
   * @param decryptOnlyKeys {@code --decrypt-only-key}s
   * @param host {@code --host}
   * @param port {@code --port}
   * @param maxInstanceSize {@code --max-instance-size}
   * @param createKeyIfMissing {@code --create-key-if-missing}
   * @param keyState {@code --key-state}, {@code --key-state-setting}s, {@code --replica-name}
   * @param demoClock {@code --demo-clock}
   * @param help {@code --help}
   */
  record Options(
      Path dataDirectory,
      KeyReference key,
      Optional<String> providerId,
      Map<String, String> providerSettings,
      List<KeyReference> decryptOnlyKeys,
      String host,
      int port,
      long maxInstanceSize,
      boolean createKeyIfMissing,
      KeyStateStores.Options keyState,
      boolean demoClock,
      boolean help) {

    /** Copies the settings and keys. */
    Options {
      providerSettings = Collections.unmodifiableMap(new LinkedHashMap<>(providerSettings));
      decryptOnlyKeys = List.copyOf(decryptOnlyKeys);
    }

    /**
     * Parses arguments.
     *
     * @param args the command line
     * @return the options
     * @throws IllegalArgumentException naming the first problem
     */
    static Options parse(String... args) {
      Objects.requireNonNull(args, "args");
      Path dataDirectory = null;
      KeyReference key = null;
      String providerId = null;
      Map<String, String> settings = new LinkedHashMap<>();
      List<KeyReference> decryptOnly = new ArrayList<>();
      String host = null;
      Integer port = null;
      Long maxInstanceSize = null;
      boolean createKey = false;
      String keyState = null;
      Map<String, String> keyStateSettings = new LinkedHashMap<>();
      String replicaName = null;
      boolean demoClock = false;
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        switch (arg) {
          case "--help":
          case "-h":
            return new Options(null, null, Optional.empty(), Map.of(), List.of(), "127.0.0.1", 8080,
                DicomStoreServer.DEFAULT_MAX_INSTANCE_SIZE, false, KeyStateStores.Options.DEFAULT,
                false, true);
          case "--create-key-if-missing":
            createKey = true;
            break;
          case "--demo-clock":
            demoClock = true;
            break;
          case "--key-state":
            once(keyState, arg);
            keyState = value(args, ++i, arg);
            break;
          case "--key-state-setting":
            String kv = value(args, ++i, arg);
            int at = kv.indexOf('=');
            if (at <= 0 || keyStateSettings.putIfAbsent(kv.substring(0, at), kv.substring(at + 1))
                != null) {
              throw new IllegalArgumentException(
                  "--key-state-setting needs NAME=VALUE, each NAME once");
            }
            break;
          case "--replica-name":
            once(replicaName, arg);
            replicaName = value(args, ++i, arg);
            break;
          case "--data-dir":
            once(dataDirectory, arg);
            dataDirectory = Path.of(value(args, ++i, arg));
            break;
          case "--key":
            once(key, arg);
            key = KeyReference.parse(value(args, ++i, arg));
            break;
          case "--provider":
            once(providerId, arg);
            providerId = value(args, ++i, arg);
            break;
          case "--provider-setting":
            String setting = value(args, ++i, arg);
            int eq = setting.indexOf('=');
            if (eq <= 0) {
              throw new IllegalArgumentException("--provider-setting needs NAME=VALUE");
            }
            if (settings.putIfAbsent(setting.substring(0, eq), setting.substring(eq + 1))
                != null) {
              throw new IllegalArgumentException(
                  "provider setting '" + setting.substring(0, eq) + "' given twice");
            }
            break;
          case "--decrypt-only-key":
            KeyReference old = KeyReference.parse(value(args, ++i, arg));
            if (decryptOnly.stream().anyMatch(old::sameKeyAs)) {
              throw new IllegalArgumentException("--decrypt-only-key " + old + " given twice");
            }
            decryptOnly.add(old);
            break;
          case "--host":
            once(host, arg);
            host = value(args, ++i, arg);
            break;
          case "--port":
            once(port, arg);
            port = (int) number(value(args, ++i, arg), arg, 0, 65535);
            break;
          case "--max-instance-size":
            once(maxInstanceSize, arg);
            maxInstanceSize = number(value(args, ++i, arg), arg, 132, Long.MAX_VALUE);
            break;
          default:
            throw new IllegalArgumentException("unknown option '" + arg + "'");
        }
      }
      if (dataDirectory == null) {
        throw new IllegalArgumentException("--data-dir is required");
      }
      if (key == null) {
        throw new IllegalArgumentException("--key is required");
      }
      for (KeyReference old : decryptOnly) {
        if (old.sameKeyAs(key)) {
          throw new IllegalArgumentException(
              "--decrypt-only-key " + old + " is the --key (it is read anyway)");
        }
      }
      return new Options(
          dataDirectory,
          key,
          Optional.ofNullable(providerId),
          settings,
          decryptOnly,
          host != null ? host : "127.0.0.1",
          port != null ? port : 8080,
          maxInstanceSize != null ? maxInstanceSize : DicomStoreServer.DEFAULT_MAX_INSTANCE_SIZE,
          createKey,
          new KeyStateStores.Options(keyState != null ? keyState : "memory", keyStateSettings,
              Optional.ofNullable(replicaName)),
          demoClock,
          false);
    }

    private static void once(Object current, String option) {
      if (current != null) {
        throw new IllegalArgumentException(option + " given twice");
      }
    }

    private static String value(String[] args, int i, String option) {
      if (i >= args.length || args[i].startsWith("--")) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[i];
    }

    private static long number(String text, String option, long min, long max) {
      long v;
      try {
        v = Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " must be a number");
      }
      if (v < min || v > max) {
        throw new IllegalArgumentException(option + " must be " + min + "-" + max);
      }
      return v;
    }
  }
}
