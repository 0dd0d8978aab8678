package dev.cmk.examples.dicom;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.core.KeyConfiguration;
import dev.cmk.core.KeyPolicy;
import dev.cmk.examples.support.DemoClock;
import dev.cmk.keystore.KeystoreKeyProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiFunction;

/**
 * What {@link DicomStoreMain} starts: the providers, the crypto (DICOM key policy, background
 * probe, the replicas' shared key state) and the server, owned by the returned {@link
 * DicomStoreMain.Running}; on failure everything created so far is closed.
 */
final class StoreLauncher {
  private StoreLauncher() {}

  /**
   * Starts the store.
   *
   * @param options parsed options
   * @param out where the one-line start-up message goes
   * @param factory makes a provider from its id and settings
   * @return the running server and what it owns
   * @throws IOException if the data directory or port cannot be used
   */
  static DicomStoreMain.Running start(
      DicomStoreMain.Options options,
      PrintStream out,
      BiFunction<String, Map<String, String>, KeyEncryptionKeyProvider> factory)
      throws IOException {
    Map<String, KeyEncryptionKeyProvider> providers = StoreProviders.create(options, factory);
    KeyEncryptionKeyProvider provider = providers.get(StoreProviders.writeProviderId(options));
    ScheduledExecutorService probe = null;
    EnvelopeCrypto crypto = null;
    try {
      if (options.createKeyIfMissing()) {
        createKeyIfMissing(provider, options.key());
      }
      KeyConfiguration configuration = new KeyConfiguration(provider, options.key());
      EnvelopeCryptoBuilder builder = EnvelopeCrypto.builder();
      for (KeyEncryptionKeyProvider p : providers.values()) {
        if (p != provider) {
          builder.provider(p); // decrypt-only keys of another kind
        }
      }
      if (!options.decryptOnlyKeys().isEmpty()) {
        builder.decryptOnlyKeys(options.decryptOnlyKeys());
      }
      builder.fleetState(KeyStateStores.create(options.keyState(), System::getenv),
          options.keyState().replica());
      DemoClock clock = options.demoClock() ? DemoClock.systemUtc() : null;
      if (clock != null) {
        builder.clock(clock);
      }
      probe =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "cmk-key-probe");
                t.setDaemon(true);
                return t;
              });
      crypto =
          builder
              .keyConfiguration(() -> configuration)
              .keyPolicy(KeyPolicy.dicomService())
              .backgroundProbe(probe)
              .build();
      DicomStoreServer.Builder serverBuilder = DicomStoreServer.builder();
      if (clock != null) {
        serverBuilder.demoClock(clock);
      }
      DicomStoreServer server =
          serverBuilder
              .crypto(crypto)
              .dataDirectory(options.dataDirectory())
              .host(options.host())
              .port(options.port())
              .maxInstanceSize(options.maxInstanceSize())
              .build()
              .start();
      KeyAccessStatus status = crypto.keyAccess().status();
      out.println(
          "dicom-store listening on "
              + server.uri()
              + " (data "
              + options.dataDirectory()
              + ", key "
              + options.key()
              + " via "
              + provider.id()
              + ", key state "
              + status.state()
              + (status.currentVersion() == null ? "" : ", version " + status.currentVersion())
              + (options.decryptOnlyKeys().isEmpty()
                  ? ""
                  : ", decrypt-only " + crypto.keyring().decryptOnlyKeys())
              + (options.keyState().spec().equals("memory")
                  ? ", key state in this process only"
                  : ", key state shared via azure-blob as " + options.keyState().replica())
              + (clock == null ? "" : ", demo clock: POST /$demo-clock?advance=PT31M")
              + ")");
      return new DicomStoreMain.Running(server, crypto, probe, List.copyOf(providers.values()));
    } catch (IOException | RuntimeException e) {
      if (crypto != null) {
        crypto.close();
      }
      if (probe != null) {
        probe.shutdownNow();
      }
      providers.values().forEach(KeyEncryptionKeyProvider::close);
      throw e;
    }
  }

  private static void createKeyIfMissing(KeyEncryptionKeyProvider provider, KeyReference key) {
    if (!(provider instanceof KeystoreKeyProvider)) {
      throw new IllegalArgumentException(
          "--create-key-if-missing works with the keystore provider only; create production keys"
              + " in the key vault or HSM");
    }
    KeystoreKeyProvider keystore = (KeystoreKeyProvider) provider;
    try {
      keystore.describe(key.versionless());
    } catch (KeyNotFoundException e) {
      keystore.keyManager().orElseThrow().createKey(key.name(), 3072);
    }
  }
}
