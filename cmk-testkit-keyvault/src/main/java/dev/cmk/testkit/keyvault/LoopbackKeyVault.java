package dev.cmk.testkit.keyvault;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * A loopback Azure Key Vault / Managed HSM for tests: the Key Vault <em>keys</em> data plane
 * (REST api-version 7.0&ndash;7.6 and 2025-07-01) over HTTPS on 127.0.0.1, with Entra-style bearer-token checks,
 * per-identity permissions, fault injection, and optionally an App Service style managed-identity
 * token endpoint. Real Azure SDK clients ({@code KeyClient}, {@code CryptographyClient}, {@code
 * ManagedIdentityCredential}) talk to it unchanged.
 *
 * <pre>{@code
 * try (LoopbackKeyVault server = LoopbackKeyVault.builder().keyVault("myvault").build()) {
 *   LoopbackVault vault = server.vault("myvault");
 *   VaultIdentity app = server.createApplication("my-service");
 *   vault.grant(app, KeyPermission.cryptoServiceEncryptionUser());
 *   KeyReference key = vault.createRsaKey("patient-data", 2048);
 *   String token = server.issueToken(app);      // for a static TokenCredential
 *   SSLContext trust = server.clientSslContext(); // for the client's HttpClient
 *   String url = server.vaultUrl("myvault");      // https://myvault.vault.azure.net:PORT
 * }
 * }</pre>
 *
 * <p><b>Host names.</b> Vaults are served under their real names ({@code
 * {name}.vault.azure.net}, {@code {name}.managedhsm.azure.net}) on the server's port, and the
 * certificate carries those names, so the SDK's challenge-resource verification passes as in
 * production. The test JVM must resolve the names to 127.0.0.1, e.g. with {@code
 * -Djdk.net.hosts.file=...} pointing at a file with {@link #hostsFileContent()}. Requests to
 * {@code https://127.0.0.1:PORT} or {@code https://localhost:PORT} reach the first vault (clients
 * then need {@code disableChallengeResourceVerification()}).
 *
 * <p><b>Authentication.</b> Like Key Vault, a request without a token gets 401 with {@code
 * WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/{tenant}",
 * resource="https://vault.azure.net"} ({@code https://managedhsm.azure.net} for a Managed HSM).
 * Tokens are accepted only if this server issued them, they are unexpired (five minutes of clock
 * skew allowed) and their audience matches. Every identity starts with no permissions; {@link
 * LoopbackVault#grant} gives some.
 *
 * <p><b>Managed identity.</b> With {@link LoopbackKeyVaultBuilder#managedIdentityEndpoint(URI, String)} (or {@link
 * LoopbackKeyVaultBuilder#managedIdentityEndpointFromEnvironment()}) the server also answers the App Service token
 * protocol on plain HTTP at that loopback address. Azure Identity (MSAL) reads {@code
 * IDENTITY_ENDPOINT} / {@code IDENTITY_HEADER} from the process environment itself, so set them in
 * the test JVM's environment (e.g. Failsafe's {@code <environmentVariables>}). MSAL caches
 * managed-identity tokens per JVM: use one server per test JVM when testing managed identity, and
 * assert on the tokens the vault receives ({@link LoopbackVault#requests()}). {@link
 * #refuseManagedIdentity} makes the endpoint refuse an identity the way IMDS or App Service refuse
 * a deleted, disabled or unassigned one; {@link #failManagedIdentityNext} makes it fail like an
 * outage.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; requests are served concurrently.
 */
public final class LoopbackKeyVault implements AutoCloseable {
  private final String tenantId;
  private final Clock clock;
  private final TokenService tokens;
  private final BackupSeal backupSeal;
  private final TlsMaterial tls;
  private final ExecutorService executor;
  private final HttpsServer https;
  private final @Nullable HttpServer identityServer;
  private final @Nullable URI identityEndpoint;
  private final Map<String, VaultState> vaultsByHost = new LinkedHashMap<>();
  private final Map<String, LoopbackVault> vaultsByName = new LinkedHashMap<>();
  private final @Nullable VaultState defaultVault;
  private final IdentityDirectory identities;
  private final AtomicInteger identityFailNext = new AtomicInteger();
  private volatile int identityFailStatus = 500;
  private final ArrayDeque<ManagedIdentityRequest> identityRequests = new ArrayDeque<>();
  private final Map<String, ManagedIdentityRefusal> refusedIdentities = new ConcurrentHashMap<>();
  private volatile Duration identityTokenLifetime = TokenService.LIFETIME;

  LoopbackKeyVault(LoopbackKeyVaultBuilder b) {
    SecureRandom random = new SecureRandom();
    this.tenantId = b.tenantId != null ? b.tenantId : "72f988bf-86f1-41af-91ab-2d7cd011db47";
    this.clock = b.clock != null ? b.clock : Clock.systemUTC();
    this.tokens = new TokenService(tenantId, random);
    this.backupSeal = new BackupSeal(random);
    this.identities = new IdentityDirectory(tenantId);
    List<String> hosts = new ArrayList<>();
    for (Map.Entry<String, VaultState.Kind> e : b.vaults.entrySet()) {
      hosts.add(e.getKey());
    }
    hosts.add("localhost");
    this.tls = TlsMaterial.create(hosts, random);
    this.executor = Executors.newCachedThreadPool(daemonThreads("cmk-loopback-key-vault"));
    try {
      https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), b.port), 0);
      https.setHttpsConfigurator(new HttpsConfigurator(tls.serverContext));
      https.createContext("/", new KeyVaultHandler(this));
      https.setExecutor(executor);
      VaultState first = null;
      for (Map.Entry<String, VaultState.Kind> e : b.vaults.entrySet()) {
        String host = e.getKey();
        String name = host.substring(0, host.indexOf('.'));
        VaultState state = new VaultState(name, e.getValue(), host, this, clock, random);
        vaultsByHost.put(host, state);
        vaultsByName.put(name, new LoopbackVault(this, state));
        if (first == null) {
          first = state;
        }
      }
      defaultVault = first;
      if (b.identityEndpoint != null) {
        URI endpoint = b.identityEndpoint;
        identityServer =
            HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), endpoint.getPort()), 0);
        String path = endpoint.getRawPath() == null || endpoint.getRawPath().isEmpty() ? "/" : endpoint.getRawPath();
        identityServer.createContext("/", new ManagedIdentityHandler(this, path, b.identityHeader));
        identityServer.setExecutor(executor);
        identityEndpoint =
            URI.create(
                "http://"
                    + endpoint.getHost()
                    + ":"
                    + identityServer.getAddress().getPort()
                    + (endpoint.getRawPath() == null ? "" : endpoint.getRawPath()));
      } else {
        identityServer = null;
        identityEndpoint = null;
      }
    } catch (IOException e) {
      executor.shutdownNow();
      throw new UncheckedIOException("cannot bind the loopback Key Vault", e);
    }
    https.start();
    if (identityServer != null) {
      identityServer.start();
    }
  }

  /**
   * A builder; add at least one vault.
   *
   * @return a new builder
   */
  public static LoopbackKeyVaultBuilder builder() {
    return new LoopbackKeyVaultBuilder();
  }

  /**
   * A vault served here.
   *
   * @param name the vault or Managed HSM name (first DNS label), case-insensitive
   * @return its admin handle
   * @throws IllegalArgumentException if no such vault is served
   */
  public LoopbackVault vault(String name) {
    Objects.requireNonNull(name, "name");
    LoopbackVault v = vaultsByName.get(name.toLowerCase(Locale.ROOT));
    if (v == null) {
      throw new IllegalArgumentException("no vault named " + name + " is served here");
    }
    return v;
  }

  /** Every vault served here, in the order they were added. */
  public List<LoopbackVault> vaults() {
    return List.copyOf(vaultsByName.values());
  }

  /** The HTTPS port (on 127.0.0.1). */
  public int port() {
    return https.getAddress().getPort();
  }

  /**
   * The URL of a vault: {@code https://{name}.vault.azure.net:PORT} (or {@code .managedhsm...}).
   *
   * @param name the vault name
   * @return the vault URL
   * @throws IllegalArgumentException if no such vault is served
   */
  public String vaultUrl(String name) {
    return vault(name).vaultUrl();
  }

  /**
   * A client {@link SSLContext} that trusts exactly this server's self-signed certificate.
   *
   * @return the context
   */
  public SSLContext clientSslContext() {
    return tls.clientContext;
  }

  /**
   * A PKCS#12 trust store (no password needed to read) holding this server's certificate.
   *
   * @return the trust store
   */
  public KeyStore trustStore() {
    return tls.trustStore;
  }

  /** The server's self-signed certificate, generated at start-up. */
  public X509Certificate certificate() {
    return tls.certificate;
  }

  /**
   * Lines for a hosts file ({@code -Djdk.net.hosts.file}) mapping every vault host name, and
   * {@code localhost}, to 127.0.0.1.
   *
   * @return the file content
   */
  public String hostsFileContent() {
    StringBuilder sb = new StringBuilder();
    for (String host : vaultsByHost.keySet()) {
      sb.append("127.0.0.1 ").append(host).append('\n');
    }
    sb.append("127.0.0.1 localhost\n");
    return sb.toString();
  }

  /** The tenant id named in challenges and tokens. */
  public String tenantId() {
    return tenantId;
  }

  /** The clock used for key attributes, validity checks and deletion dates. */
  public Clock clock() {
    return clock;
  }

  /** The system-assigned managed identity of the (imaginary) host running the tests. */
  public VaultIdentity systemAssignedIdentity() {
    return identities.systemAssigned();
  }

  /**
   * Creates (or returns the existing) user-assigned managed identity with this name. Its client id
   * and resource id select it at the managed-identity endpoint.
   *
   * @param name identity name
   * @return the identity
   * @throws IllegalArgumentException if the name is taken by another kind of identity
   */
  public VaultIdentity createUserAssignedIdentity(String name) {
    return identities.create(name, VaultIdentity.Kind.USER_ASSIGNED);
  }

  /**
   * Creates (or returns the existing) application (service principal) with this name; its tokens
   * come from {@link #issueToken(VaultIdentity)}.
   *
   * @param name application name
   * @return the identity
   * @throws IllegalArgumentException if the name is taken by another kind of identity
   */
  public VaultIdentity createApplication(String name) {
    return identities.create(name, VaultIdentity.Kind.APPLICATION);
  }

  /**
   * Looks an identity up by name.
   *
   * @param name identity name
   * @return the identity, when it exists
   */
  public Optional<VaultIdentity> identity(String name) {
    return identities.find(Objects.requireNonNull(name, "name"));
  }

  /**
   * Issues a Key Vault token ({@code aud=https://vault.azure.net}) for an identity, as Entra ID
   * would; use it from a static {@code TokenCredential} in tests.
   *
   * @param identity the identity, created by this server
   * @return the bearer token, valid for one hour
   * @throws IllegalArgumentException if the identity is not one of this server's
   */
  public String issueToken(VaultIdentity identity) {
    return issueToken(identity, TokenService.KEY_VAULT_RESOURCE);
  }

  /**
   * Issues a token for an identity and resource ({@code https://vault.azure.net} or {@code
   * https://managedhsm.azure.net}; a {@code /.default} scope is accepted too).
   *
   * @param identity the identity, created by this server
   * @param resource the audience
   * @return the bearer token, valid for one hour
   * @throws IllegalArgumentException if the identity is not one of this server's
   */
  public String issueToken(VaultIdentity identity, String resource) {
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(resource, "resource");
    if (!identities.isKnown(identity)) {
      throw new IllegalArgumentException("identity " + identity.name() + " is not known to this server");
    }
    return tokens.issue(identity, resource);
  }

  /** The managed-identity endpoint (with the port actually bound), when one was configured. */
  public Optional<URI> managedIdentityEndpoint() {
    return Optional.ofNullable(identityEndpoint);
  }

  /** Requests the managed-identity endpoint received, oldest first. */
  public List<ManagedIdentityRequest> managedIdentityRequests() {
    synchronized (identityRequests) {
      return List.copyOf(identityRequests);
    }
  }

  /**
   * Makes the managed-identity endpoint answer the next {@code count} requests with {@code
   * status} (e.g. 500), to test token acquisition failures.
   *
   * @param count how many requests, not negative
   * @param status an HTTP error status (400-599)
   */
  public void failManagedIdentityNext(int count, int status) {
    if (count < 0 || status < 400 || status > 599) {
      throw new IllegalArgumentException("count must be >= 0 and status 400-599");
    }
    identityFailStatus = status;
    identityFailNext.set(count);
  }

  /**
   * Makes the managed-identity endpoint refuse {@code identity} from now on, as Azure does once a
   * user-assigned identity is deleted or a system-assigned one disabled, or once the identity is
   * no longer assigned to the host: HTTP 400 with the body {@code refusal} describes. Tokens the
   * identity already holds stay valid until they expire, as Entra ID tokens do (see {@link
   * #setManagedIdentityTokenLifetime} to make clients ask again at once).
   *
   * @param identity a system- or user-assigned identity of this server
   * @param refusal the endpoint's answer
   * @throws IllegalArgumentException if the identity is an application or not this server's
   */
  public void refuseManagedIdentity(VaultIdentity identity, ManagedIdentityRefusal refusal) {
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(refusal, "refusal");
    if (identity.kind() == VaultIdentity.Kind.APPLICATION || !identities.isKnown(identity)) {
      throw new IllegalArgumentException("identity " + identity.name() + " is not a managed identity of this server");
    }
    refusedIdentities.put(identity.objectId(), refusal);
  }

  /**
   * Lets the managed-identity endpoint issue tokens for {@code identity} again (an identity
   * re-enabled or re-assigned). Idempotent.
   *
   * @param identity the identity
   */
  public void restoreManagedIdentity(VaultIdentity identity) {
    refusedIdentities.remove(Objects.requireNonNull(identity, "identity").objectId());
  }

  /**
   * The lifetime of the tokens the managed-identity endpoint issues from now on (its {@code
   * expires_on}); default one hour. The vaults accept a token for five minutes past its expiry
   * (clock skew), so {@link Duration#ZERO} gives tokens that clients (MSAL, azure-core) consider
   * expired at once and therefore request again for every call, while the vault still accepts
   * them: a way to observe at once what a client sees when its cached token runs out.
   *
   * @param lifetime not negative
   */
  public void setManagedIdentityTokenLifetime(Duration lifetime) {
    Objects.requireNonNull(lifetime, "lifetime");
    if (lifetime.isNegative()) {
      throw new IllegalArgumentException("lifetime must not be negative");
    }
    identityTokenLifetime = lifetime;
  }

  /** Stops both listeners and the worker threads. Idempotent. */
  @Override
  public void close() {
    https.stop(0);
    if (identityServer != null) {
      identityServer.stop(0);
    }
    executor.shutdownNow();
  }

  // ---------------------------------------------------------------- package-private

  TokenService tokens() {
    return tokens;
  }

  BackupSeal backupSeal() {
    return backupSeal;
  }

  @Nullable VaultState vaultForHost(String host) {
    if (host.equals("127.0.0.1") || host.equals("localhost") || host.equals("[::1]")) {
      return defaultVault;
    }
    return vaultsByHost.get(host);
  }

  Optional<VaultIdentity> findManagedIdentity(String clientId, String resourceId, String objectId) {
    return identities.findManaged(clientId, resourceId, objectId);
  }


  Optional<ManagedIdentityRefusal> refusalOf(VaultIdentity identity) {
    return Optional.ofNullable(refusedIdentities.get(identity.objectId()));
  }

  Duration managedIdentityTokenLifetime() {
    return identityTokenLifetime;
  }

  int takeManagedIdentityFault() {
    while (true) {
      int n = identityFailNext.get();
      if (n <= 0) {
        return 0;
      }
      if (identityFailNext.compareAndSet(n, n - 1)) {
        return identityFailStatus;
      }
    }
  }

  void recordManagedIdentityRequest(ManagedIdentityRequest request) {
    synchronized (identityRequests) {
      identityRequests.addLast(request);
      while (identityRequests.size() > 10_000) {
        identityRequests.pollFirst();
      }
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** For {@link LoopbackVault}: builds the vault URL from the port. */
  String urlOf(VaultState state) {
    return "https://" + state.host + ":" + port();
  }

}
