package dev.cmk.examples.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.FifoMemoryPagingProvider;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.KeyAccessGuard;
import dev.cmk.core.KeyAccessSettings;
import dev.cmk.core.KeyConfiguration;
import dev.cmk.core.KeyPolicy;
import dev.cmk.examples.fhir.internal.BlindIndex;
import dev.cmk.examples.fhir.internal.CapabilityAmendments;
import dev.cmk.examples.fhir.internal.CmkAdminOperations;
import dev.cmk.examples.fhir.internal.ConditionalOperations;
import dev.cmk.examples.fhir.internal.Database;
import dev.cmk.examples.fhir.internal.EncryptedResourceProvider;
import dev.cmk.examples.fhir.internal.KeyAccessGate;
import dev.cmk.examples.fhir.internal.KeyStateStore;
import dev.cmk.examples.fhir.internal.ResourceStore;
import dev.cmk.examples.fhir.internal.SettingsKeyConfiguration;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Resource;

/**
 * A FHIR R4 server (HAPI FHIR plain server in embedded Jetty) that stores every resource version
 * encrypted under a customer-managed key, and behaves like the Azure Health Data Services FHIR
 * service when the key is not accessible.
 *
 * <pre>{@code
 * try (FhirServer server = FhirServer.builder()
 *     .port(8080)
 *     .jdbcUrl("jdbc:hsqldb:file:./fhir-data/fhir")
 *     .keySettings(() -> KeySettings.builder()
 *         .keyEncryptionKeyUrl(KeyReference.parse("https://contoso.vault.azure.net/keys/fhir-cmk"))
 *         .identityType(KeySettings.IdentityType.SYSTEM_ASSIGNED)
 *         .build())
 *     .build()) {
 *   server.start();
 *   server.join();
 * }
 * }</pre>
 *
 * <p>Serves {@link #RESOURCE_TYPES}: create (also conditional), read, vread, update (also as
 * create, and conditional), delete, instance history, search by {@code _id}, {@code _lastUpdated}
 * and {@code identifier}; {@code GET /metadata}; and the admin operations {@code GET /$cmk-status}
 * and {@code POST /$cmk-refresh}.
 *
 * <p><b>Security guarantees:</b> each resource version is one cmk envelope (AES-256-GCM, data key
 * wrapped by the customer's RSA key) bound to {@code resourceType/id/version}; only type, id,
 * version number, last-updated instant and the deleted flag are stored in clear, identifiers as
 * HMAC tokens under an index key that is itself wrapped by the customer's key. While the key is
 * not accessible every data request answers HTTP 500 with an OperationOutcome and nothing is read
 * or written; {@code /metadata} and the admin operations still answer. The key policy (default
 * {@link KeyPolicy#fhirService()}) is enforced at start and on every refresh. There is no
 * authentication: deploy behind your own.
 *
 * <p><b>Thread safety:</b> the built server is safe for concurrent use; {@link #start()} and
 * {@link #close()} may each be called once.
 */
public final class FhirServer implements AutoCloseable {
  /** The resource types served. */
  public static final List<Class<? extends Resource>> RESOURCE_TYPES =
      List.of(Patient.class, Practitioner.class, Observation.class, Encounter.class,
          Condition.class);

  /**
   * The default JDBC URL: an embedded HSQLDB database under {@code ./fhir-data}, which syncs
   * every commit to its log before the request is answered (see the README, "Durability").
   */
  public static final String DEFAULT_JDBC_URL = "jdbc:hsqldb:file:./fhir-data/fhir";

  private final String host;
  private final int requestedPort;
  private final EnvelopeCrypto crypto;
  private final Database ownedDatabase;
  private final KeyStateStore keyState;
  private final SettingsKeyConfiguration ownedConfiguration;
  private final ScheduledExecutorService probeScheduler;
  private final Server jetty;
  private volatile boolean started;
  private boolean closed;

  FhirServer(FhirServerBuilder b) {
    this.host = b.host;
    this.requestedPort = b.port;
    Clock clock = b.demoClock != null ? b.demoClock : b.clock != null ? b.clock : Clock.systemUTC();
    Supplier<KeyConfiguration> configuration = b.keyConfiguration;
    this.ownedConfiguration =
        b.keySettings != null
            ? new SettingsKeyConfiguration(b.keySettings, clock, b.azureClientSetup)
            : null;
    if (ownedConfiguration != null) {
      configuration = ownedConfiguration;
    }
    this.probeScheduler =
        b.backgroundProbe
            ? Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "cmk-key-probe");
                t.setDaemon(true);
                return t;
              })
            : null;
    KeyPolicy policy = b.keyPolicy != null ? b.keyPolicy : KeyPolicy.fhirService();
    EnvelopeCryptoBuilder cb =
        EnvelopeCrypto.builder()
            .keyConfiguration(configuration)
            .keyPolicy(policy)
            .keyAccess(b.keyAccess != null ? b.keyAccess : KeyAccessSettings.DEFAULT)
            .clock(clock);
    if (probeScheduler != null) {
      cb.backgroundProbe(probeScheduler);
    }
    Database database = null;
    KeyStateStore fleet = null;
    try {
      fleet = KeyStateStore.open(b.keyState != null ? b.keyState : KeyStateStore.MEMORY);
      this.keyState = fleet;
      cb.fleetState(fleet.store(), b.replicaName != null ? b.replicaName : defaultReplicaName());
      this.crypto = cb.build();
      DataSource dataSource = b.dataSource;
      if (dataSource == null) {
        database = Database.open(b.jdbcUrl != null ? b.jdbcUrl : DEFAULT_JDBC_URL,
            "resource database");
        dataSource = database.dataSource();
      }
      this.ownedDatabase = database;
      ResourceStore store = new ResourceStore(dataSource, crypto);
      store.createSchema();
      ConditionalOperations conditional = new ConditionalOperations(dataSource);
      FhirContext fhir = FhirContext.forR4Cached();
      conditional.createLockRows(RESOURCE_TYPES.stream().map(fhir::getResourceType).toList());
      this.jetty = jetty(b, store, new BlindIndex(dataSource, crypto), conditional,
          crypto.keyAccess(), policy, clock);
    } catch (RuntimeException e) {
      if (database != null) {
        database.close();
      }
      if (fleet != null) {
        fleet.close();
      }
      shutdownOwned();
      throw e;
    }
  }

  private Server jetty(FhirServerBuilder b, ResourceStore store, BlindIndex index,
      ConditionalOperations conditional, KeyAccessGuard guard, KeyPolicy policy, Clock clock) {
    FhirContext fhir = FhirContext.forR4Cached();
    RestfulServer restful = new RestfulServer(fhir);
    restful.setServerName("cmk example FHIR server");
    restful.setDefaultResponseEncoding(EncodingEnum.JSON);
    restful.setDefaultPrettyPrint(true);
    FifoMemoryPagingProvider paging = new FifoMemoryPagingProvider(100);
    paging.setDefaultPageSize(20);
    paging.setMaximumPageSize(100);
    restful.setPagingProvider(paging);
    KeyAccessGate gate = new KeyAccessGate(guard);
    List<IResourceProvider> providers = new ArrayList<>();
    for (Class<? extends Resource> type : RESOURCE_TYPES) {
      providers.add(provider(type, fhir, store, index, conditional, gate, clock));
    }
    restful.setResourceProviders(providers);
    restful.registerInterceptor(new CapabilityAmendments());
    restful.registerProvider(
        new CmkAdminOperations(guard, policy.name(), clock, keyState.description()));
    if (b.demoClock != null) {
      restful.registerProvider(new CmkAdminOperations.DemoClockOperation(b.demoClock));
    }

    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost(host);
    connector.setPort(requestedPort);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder("fhir", restful), "/*");
    server.setHandler(context);
    server.setStopAtShutdown(false);
    return server;
  }

  private static <T extends Resource> EncryptedResourceProvider<T> provider(Class<T> type,
      FhirContext fhir, ResourceStore store, BlindIndex index, ConditionalOperations conditional,
      KeyAccessGate gate, Clock clock) {
    return new EncryptedResourceProvider<>(type, fhir, store, index, conditional, gate, clock);
  }

  /** The replica name when none is given: the host name (HOSTNAME) and this process's id. */
  static String defaultReplicaName() {
    String host = System.getenv("HOSTNAME");
    String name = (host == null || host.isBlank() ? "fhir-server" : host.trim()) + "-"
        + ProcessHandle.current().pid();
    return name.length() > 128 ? name.substring(name.length() - 128) : name;
  }

  /** A new builder. */
  public static FhirServerBuilder builder() {
    return new FhirServerBuilder();
  }

  /**
   * Starts listening.
   *
   * @return this server
   * @throws IllegalStateException if already started, or the port cannot be bound
   */
  public synchronized FhirServer start() {
    if (started) {
      throw new IllegalStateException("already started");
    }
    started = true;
    try {
      jetty.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the HTTP server on " + host + ":" + requestedPort, e);
    }
    return this;
  }

  /**
   * The port the server listens on (useful with port 0).
   *
   * @return the port
   * @throws IllegalStateException if not started
   */
  public int port() {
    if (!jetty.isStarted()) {
      throw new IllegalStateException("not started");
    }
    return ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
  }

  /**
   * The FHIR base URL, e.g. {@code http://127.0.0.1:8080}.
   *
   * @return the base URL
   * @throws IllegalStateException if not started
   */
  public URI baseUrl() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return URI.create("http://" + h + ":" + port());
  }

  /** The loss-of-access guard (for status pages and tests). */
  public KeyAccessGuard keyAccess() {
    return crypto.keyAccess();
  }

  /**
   * Waits until the server stops.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public void join() throws InterruptedException {
    jetty.join();
  }

  /**
   * Stops the HTTP server, the background probe, the database pool and the owned providers. A
   * second call does nothing.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      jetty.stop();
    } catch (Exception e) {
      throw new IllegalStateException("stopping the HTTP server failed", e);
    } finally {
      crypto.close();
      if (ownedDatabase != null) {
        ownedDatabase.close();
      }
      keyState.close();
      shutdownOwned();
    }
  }

  private void shutdownOwned() {
    if (probeScheduler != null) {
      probeScheduler.shutdownNow();
    }
    if (ownedConfiguration != null) {
      ownedConfiguration.close();
    }
  }
}
