package dev.cmk.testkit.keyvault;

import java.net.URI;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Configures and starts a {@link LoopbackKeyVault}.
 *
 * <p>Single-valued settings may be set once; setting one twice is an {@link
 * IllegalStateException}.
 */
public final class LoopbackKeyVaultBuilder {
  private static final Pattern VAULT_NAME =
      Pattern.compile("[a-z](?:[a-z0-9-]{1,22})[a-z0-9]");
  private static final List<String> KEY_VAULT_SUFFIXES =
      List.of(
          ".vault.azure.net",
          ".vault.azure.cn",
          ".vault.usgovcloudapi.net",
          ".vault.microsoftazure.de");
  private static final List<String> MANAGED_HSM_SUFFIXES =
      List.of(".managedhsm.azure.net", ".managedhsm.azure.cn", ".managedhsm.usgovcloudapi.net");

  final Map<String, VaultState.Kind> vaults = new LinkedHashMap<>();
  final Map<String, String> vaultNames = new LinkedHashMap<>();
  @Nullable String tenantId;
  @Nullable Clock clock;
  int port;
  boolean portSet;
  @Nullable URI identityEndpoint;
  @Nullable String identityHeader;

  LoopbackKeyVaultBuilder() {}

  /**
   * Adds a Key Vault (premium: RSA and RSA-HSM keys) with soft delete on (90 days) and purge
   * protection off, like a vault created today without options.
   *
   * @param name the vault name ({@code myvault}) or full host name ({@code myvault.vault.azure.cn})
   * @return this builder
   * @throws IllegalArgumentException if the name is invalid or already added
   */
  public LoopbackKeyVaultBuilder keyVault(String name) {
    return add(name, VaultState.Kind.KEY_VAULT);
  }

  /**
   * Adds a Managed HSM (RSA-HSM keys only; soft delete always on, 90 days; local RBAC).
   *
   * @param name the HSM name ({@code myhsm}) or full host name
   * @return this builder
   * @throws IllegalArgumentException if the name is invalid or already added
   */
  public LoopbackKeyVaultBuilder managedHsm(String name) {
    return add(name, VaultState.Kind.MANAGED_HSM);
  }

  private LoopbackKeyVaultBuilder add(String name, VaultState.Kind kind) {
    String host = hostFor(name, kind);
    String shortName = host.substring(0, host.indexOf('.'));
    if (vaultNames.containsKey(shortName)) {
      throw new IllegalArgumentException("a vault named " + shortName + " was already added");
    }
    vaultNames.put(shortName, host);
    vaults.put(host, kind);
    return this;
  }

  /**
   * The tenant id named in challenges and tokens (default: a fixed GUID).
   *
   * @param tenantId a tenant GUID
   * @return this builder
   */
  public LoopbackKeyVaultBuilder tenantId(String tenantId) {
    Objects.requireNonNull(tenantId, "tenantId");
    if (this.tenantId != null) {
      throw new IllegalStateException("tenantId was already set");
    }
    this.tenantId = UUID.fromString(tenantId).toString();
    return this;
  }

  /**
   * The clock for key attributes ({@code created}, {@code updated}), not-before / expiry checks
   * and deletion dates (default: the system clock). Token lifetimes always use real time,
   * because the SDK checks them against real time.
   *
   * @param clock the clock, e.g. a {@code ManualClock}
   * @return this builder
   */
  public LoopbackKeyVaultBuilder clock(Clock clock) {
    Objects.requireNonNull(clock, "clock");
    if (this.clock != null) {
      throw new IllegalStateException("clock was already set");
    }
    this.clock = clock;
    return this;
  }

  /**
   * The HTTPS port on 127.0.0.1 (default 0: a free port).
   *
   * @param port 0-65535
   * @return this builder
   */
  public LoopbackKeyVaultBuilder port(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0-65535");
    }
    if (portSet) {
      throw new IllegalStateException("port was already set");
    }
    this.port = port;
    this.portSet = true;
    return this;
  }

  /**
   * Also serve the App Service managed-identity token endpoint at {@code endpoint} (plain HTTP
   * on 127.0.0.1 at the endpoint's port and path), requiring {@code identityHeader} in {@code
   * X-IDENTITY-HEADER}.
   *
   * @param endpoint e.g. {@code http://127.0.0.1:41741/msi/token}; port 0 binds a free port
   *     ({@link LoopbackKeyVault#managedIdentityEndpoint()} then reports it)
   * @param identityHeader the shared secret clients send
   * @return this builder
   * @throws IllegalArgumentException if the endpoint is not http on 127.0.0.1 / localhost with a
   *     port
   */
  public LoopbackKeyVaultBuilder managedIdentityEndpoint(URI endpoint, String identityHeader) {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(identityHeader, "identityHeader");
    if (this.identityEndpoint != null) {
      throw new IllegalStateException("managedIdentityEndpoint was already set");
    }
    if (!"http".equalsIgnoreCase(endpoint.getScheme())
        || endpoint.getPort() < 0
        || !(("127.0.0.1").equals(endpoint.getHost()) || "localhost".equalsIgnoreCase(endpoint.getHost()))) {
      throw new IllegalArgumentException(
          "the managed-identity endpoint must be http://127.0.0.1:PORT/... or http://localhost:PORT/...");
    }
    if (identityHeader.isEmpty()) {
      throw new IllegalArgumentException("identityHeader must not be empty");
    }
    this.identityEndpoint = endpoint;
    this.identityHeader = identityHeader;
    return this;
  }

  /**
   * Serves the managed-identity endpoint named by this JVM's {@code IDENTITY_ENDPOINT} and
   * {@code IDENTITY_HEADER} environment variables (what Azure Identity will call).
   *
   * @return this builder
   * @throws IllegalStateException if either variable is missing
   * @throws IllegalArgumentException if the endpoint is not a loopback http URL with a port
   */
  public LoopbackKeyVaultBuilder managedIdentityEndpointFromEnvironment() {
    String endpoint = System.getenv("IDENTITY_ENDPOINT");
    String header = System.getenv("IDENTITY_HEADER");
    if (endpoint == null || header == null) {
      throw new IllegalStateException(
          "IDENTITY_ENDPOINT and IDENTITY_HEADER must be set in the environment of this JVM");
    }
    return managedIdentityEndpoint(URI.create(endpoint), header);
  }

  /**
   * Starts the server.
   *
   * @return the running server
   * @throws IllegalStateException if no vault was added
   * @throws java.io.UncheckedIOException if a port cannot be bound
   */
  public LoopbackKeyVault build() {
    if (vaults.isEmpty()) {
      throw new IllegalStateException("add at least one vault with keyVault(...) or managedHsm(...)");
    }
    return new LoopbackKeyVault(this);
  }

  static String hostFor(String nameOrHost, VaultState.Kind kind) {
    Objects.requireNonNull(nameOrHost, "name");
    String host = nameOrHost.toLowerCase(Locale.ROOT);
    List<String> suffixes = kind == VaultState.Kind.MANAGED_HSM ? MANAGED_HSM_SUFFIXES : KEY_VAULT_SUFFIXES;
    String name = host;
    if (host.contains(".")) {
      String suffix = null;
      for (String s : suffixes) {
        if (host.endsWith(s)) {
          suffix = s;
        }
      }
      if (suffix == null) {
        throw new IllegalArgumentException(
            "host " + nameOrHost + " must end with one of " + suffixes);
      }
      name = host.substring(0, host.length() - suffix.length());
    } else {
      host = host + suffixes.get(0);
    }
    if (!VAULT_NAME.matcher(name).matches() || name.contains("--")) {
      throw new IllegalArgumentException(
          "vault name must be 3-24 letters, digits and hyphens, start with a letter, end with a"
              + " letter or digit, no consecutive hyphens: " + nameOrHost);
    }
    return host;
  }
}
