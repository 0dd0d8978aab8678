package dev.cmk.examples.fhir;

import dev.cmk.core.KeyAccessSettings;
import dev.cmk.core.KeyConfiguration;
import dev.cmk.core.KeyPolicy;
import dev.cmk.examples.fhir.internal.Database;
import dev.cmk.examples.fhir.internal.KeyStateStore;
import dev.cmk.examples.fhir.internal.SettingsKeyConfiguration;
import dev.cmk.examples.support.DemoClock;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * Configures a {@link FhirServer}. Key: exactly one of {@link #keySettings} (the URL's scheme
 * picks Azure Key Vault or the local keystore) or {@link #keyConfiguration} (any provider, e.g.
 * the testkit's). Database: {@link #jdbcUrl} (default {@value FhirServer#DEFAULT_JDBC_URL}) or
 * {@link #dataSource}. Each setting may be given once. Not thread-safe.
 */
public final class FhirServerBuilder {
  String host = "127.0.0.1";
  boolean hostSet;
  int port = 8080;
  boolean portSet;
  String jdbcUrl;
  DataSource dataSource;
  Supplier<KeySettings> keySettings;
  Supplier<KeyConfiguration> keyConfiguration;
  KeyPolicy keyPolicy;
  KeyAccessSettings keyAccess;
  Clock clock;
  DemoClock demoClock;
  String keyState;
  String replicaName;
  boolean backgroundProbe = true;
  boolean backgroundProbeSet;
  SettingsKeyConfiguration.AzureClientSetup azureClientSetup =
      SettingsKeyConfiguration.MANAGED_IDENTITY;

  FhirServerBuilder() {}

  private static void once(boolean set, String name) {
    if (set) {
      throw new IllegalStateException(name + " was already set");
    }
  }

  /**
   * The address to listen on (default {@code 127.0.0.1}: only this machine).
   *
   * @param host an address or host name, e.g. {@code 0.0.0.0} for every interface
   * @return this builder
   */
  public FhirServerBuilder host(String host) {
    once(hostSet, "host");
    this.host = Objects.requireNonNull(host, "host");
    hostSet = true;
    return this;
  }

  /**
   * The port (default 8080; 0 picks a free one, see {@link FhirServer#port()}).
   *
   * @param port 0-65535
   * @return this builder
   */
  public FhirServerBuilder port(int port) {
    once(portSet, "port");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0-65535");
    }
    this.port = port;
    portSet = true;
    return this;
  }

  /**
   * The database, as a JDBC URL (the server owns the connection pool): HSQLDB (the embedded
   * default), H2 or PostgreSQL, each opened so that answered writes survive a crash.
   *
   * @param jdbcUrl e.g. {@code jdbc:hsqldb:file:/var/lib/fhir/fhir}, {@code
   *     jdbc:postgresql://db/fhir?user=fhir} or {@code jdbc:h2:mem:test}
   * @return this builder
   */
  public FhirServerBuilder jdbcUrl(String jdbcUrl) {
    once(this.jdbcUrl != null, "jdbcUrl");
    this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    return this;
  }

  /**
   * The database, as an application-owned data source (not closed by the server). The schema
   * is written for HSQLDB, H2 and PostgreSQL.
   *
   * @param dataSource the data source
   * @return this builder
   */
  public FhirServerBuilder dataSource(DataSource dataSource) {
    once(this.dataSource != null, "dataSource");
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    return this;
  }

  /**
   * Where the fleet's loss-of-access state of the key lives (default {@code memory}: this
   * process only). A JDBC URL of PostgreSQL or H2 shares it with every replica on that
   * database, so a restarted or new replica starts in the fleet's state and one {@code
   * $cmk-refresh} reopens them all.
   *
   * @param keyState {@code memory}, {@code jdbc:postgresql://...} or {@code jdbc:h2:...}
   * @return this builder
   */
  public FhirServerBuilder keyState(String keyState) {
    once(this.keyState != null, "keyState");
    this.keyState = KeyStateStore.check(keyState);
    return this;
  }

  /**
   * This replica's name as recorded in the fleet state (default: host name and process id).
   *
   * @param name 1-128 printable ASCII characters
   * @return this builder
   */
  public FhirServerBuilder replicaName(String name) {
    once(this.replicaName != null, "replicaName");
    this.replicaName = dev.cmk.core.fleet.FleetKeyState.checkReplicaName(
        Objects.requireNonNull(name, "name"));
    return this;
  }

  /**
   * Where the key settings come from; called at start and again on every {@code $cmk-refresh},
   * which is how a changed key URL or identity takes effect.
   *
   * @param settings the settings source
   * @return this builder
   */
  public FhirServerBuilder keySettings(Supplier<KeySettings> settings) {
    once(keySettings != null, "keySettings");
    keySettings = Objects.requireNonNull(settings, "settings");
    return this;
  }

  /**
   * The key configuration with a provider built by the caller (any {@code
   * KeyEncryptionKeyProvider}, e.g. the testkit's in-memory one); re-read on refresh.
   *
   * @param configuration the configuration source
   * @return this builder
   */
  public FhirServerBuilder keyConfiguration(Supplier<KeyConfiguration> configuration) {
    once(keyConfiguration != null, "keyConfiguration");
    keyConfiguration = Objects.requireNonNull(configuration, "configuration");
    return this;
  }

  /**
   * The key policy (default {@link KeyPolicy#fhirService()}).
   *
   * @param policy the policy
   * @return this builder
   */
  public FhirServerBuilder keyPolicy(KeyPolicy policy) {
    once(keyPolicy != null, "keyPolicy");
    keyPolicy = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /**
   * Timing of the loss-of-access guard (default {@link KeyAccessSettings#DEFAULT}: re-confirm
   * the key every minute, 30-minute grace).
   *
   * @param settings the settings
   * @return this builder
   */
  public FhirServerBuilder keyAccess(KeyAccessSettings settings) {
    once(keyAccess != null, "keyAccess");
    keyAccess = Objects.requireNonNull(settings, "settings");
    return this;
  }

  /**
   * The clock (default system UTC); tests pass a manual clock.
   *
   * @param clock the clock
   * @return this builder
   */
  public FhirServerBuilder clock(Clock clock) {
    once(this.clock != null || demoClock != null, "clock");
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /**
   * Runs on a demo clock and registers {@code POST /$demo-clock?advance=PT31M}, which moves it
   * forward. For demonstrations only.
   *
   * @param clock the demo clock
   * @return this builder
   */
  public FhirServerBuilder demoClock(DemoClock clock) {
    once(this.clock != null || demoClock != null, "clock");
    demoClock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /**
   * Whether a background thread re-confirms the key (default true), so confirmations stay
   * fresh and recovery does not wait for a request. Tests on a manual clock turn it off.
   *
   * @param enabled whether to probe in the background
   * @return this builder
   */
  public FhirServerBuilder backgroundProbe(boolean enabled) {
    once(backgroundProbeSet, "backgroundProbe");
    backgroundProbe = enabled;
    backgroundProbeSet = true;
    return this;
  }

  /**
   * How the Azure provider built from {@link #keySettings} gets its credential (default: the
   * managed identity the settings name). For tests: a loopback transport and test tokens.
   *
   * @param setup the setup
   * @return this builder
   */
  FhirServerBuilder azureClientSetup(SettingsKeyConfiguration.AzureClientSetup setup) {
    azureClientSetup = Objects.requireNonNull(setup, "setup");
    return this;
  }

  /**
   * Builds the server (opens the database and checks the key; does not listen yet).
   *
   * @return the server
   * @throws IllegalStateException if no key, or both key sources, or both database settings,
   *     are given
   * @throws dev.cmk.api.KeyPolicyViolationException if the key breaks the key policy
   * @throws IllegalArgumentException if the key settings are invalid
   */
  public FhirServer build() {
    if ((keySettings == null) == (keyConfiguration == null)) {
      throw new IllegalStateException("set exactly one of keySettings and keyConfiguration");
    }
    if (jdbcUrl != null && dataSource != null) {
      throw new IllegalStateException("set either jdbcUrl or dataSource, not both");
    }
    return new FhirServer(this);
  }
}
