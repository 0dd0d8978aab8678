package dev.cmk.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.policy.HttpLogOptions;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.util.ClientOptions;
import com.azure.security.keyvault.keys.KeyServiceVersion;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import dev.cmk.api.spi.RateBudgetObserver;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Configures an {@link AzureKeyVaultProvider}, following Azure SDK builder conventions.
 *
 * <p>Exactly one way to authenticate is required: {@link #credential(TokenCredential)}, {@link
 * #systemAssignedManagedIdentity()}, {@link #userAssignedManagedIdentityClientId(String)}, {@link
 * #userAssignedManagedIdentityResourceId(String)}, {@link #defaultAzureCredential()}, or a
 * complete {@link #pipeline(HttpPipeline)} (which then also replaces the HTTP client, retry and
 * challenge settings). At least one {@link #addVault(String) vault} is required unless {@link
 * #allowAnyVault()} is called. Single-valued settings may be set once; setting one twice is an
 * {@link IllegalStateException} ({@link #addPolicy} and {@link #addVault} add, and may be called
 * repeatedly).
 *
 * <p>The usual Azure SDK client knobs ({@link #clientOptions}, {@link #httpLogOptions}, {@link
 * #retryOptions}, {@link #addPolicy}, {@link #httpClient}) are passed to every {@code KeyClient}
 * and {@code CryptographyClient} the provider builds, as the SDK's own builders take them; a
 * complete {@link #pipeline} excludes them all.
 *
 * <p><b>Thread safety:</b> not thread-safe; build on one thread, then share the provider.
 */
public final class AzureKeyVaultProviderBuilder {
  @Nullable CredentialChoice credential;
  @Nullable HttpPipeline pipeline;
  @Nullable HttpClient httpClient;
  @Nullable RetryOptions retryOptions;
  @Nullable ClientOptions clientOptions;
  @Nullable HttpLogOptions httpLogOptions;
  final List<HttpPipelinePolicy> policies = new ArrayList<>();
  @Nullable KeyServiceVersion serviceVersion;
  boolean disableChallengeResourceVerification;
  final Set<String> vaults = new LinkedHashSet<>();
  boolean anyVault;
  @Nullable Clock clock;
  @Nullable Duration enabledStateTtl;
  @Nullable RateBudget rateBudget;
  boolean rateBudgetDisabled;
  @Nullable RateBudgetObserver rateBudgetObserver;

  AzureKeyVaultProviderBuilder() {}

  private AzureKeyVaultProviderBuilder choose(CredentialChoice choice) {
    if (credential != null) {
      throw new IllegalStateException(
          "a credential was already chosen (" + credential.kind() + "); choose exactly one");
    }
    credential = choice;
    return this;
  }

  /**
   * Authenticates with any azure-core {@link TokenCredential} (e.g. a {@code
   * WorkloadIdentityCredential} or {@code ClientCertificateCredential}).
   *
   * @param credential the credential
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder credential(TokenCredential credential) {
    Objects.requireNonNull(credential, "credential");
    return choose(new CredentialChoice(CredentialChoice.Kind.TOKEN_CREDENTIAL, credential, null));
  }

  /**
   * Authenticates as the host's system-assigned managed identity.
   *
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder systemAssignedManagedIdentity() {
    return choose(CredentialChoice.of(CredentialChoice.Kind.SYSTEM_ASSIGNED));
  }

  /**
   * Authenticates as a user-assigned managed identity, selected by its client id.
   *
   * @param clientId the identity's client (application) id
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder userAssignedManagedIdentityClientId(String clientId) {
    Objects.requireNonNull(clientId, "clientId");
    if (clientId.isBlank()) {
      throw new IllegalArgumentException("clientId must not be blank");
    }
    return choose(
        new CredentialChoice(CredentialChoice.Kind.USER_ASSIGNED_CLIENT_ID, null, clientId));
  }

  /**
   * Authenticates as a user-assigned managed identity, selected by its ARM resource id ({@code
   * /subscriptions/.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}}).
   *
   * @param resourceId the identity's resource id
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder userAssignedManagedIdentityResourceId(String resourceId) {
    Objects.requireNonNull(resourceId, "resourceId");
    if (!resourceId.startsWith("/subscriptions/")) {
      throw new IllegalArgumentException("resourceId must be an ARM resource id (/subscriptions/...)");
    }
    return choose(
        new CredentialChoice(CredentialChoice.Kind.USER_ASSIGNED_RESOURCE_ID, null, resourceId));
  }

  /**
   * Authenticates with {@code DefaultAzureCredential} (environment, workload identity, managed
   * identity, developer tools), convenient for development; prefer an explicit identity in
   * production.
   *
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder defaultAzureCredential() {
    return choose(CredentialChoice.of(CredentialChoice.Kind.DEFAULT_AZURE_CREDENTIAL));
  }

  /**
   * Uses a complete azure-core pipeline for every call (authentication, retries, HTTP client
   * included). Excludes a credential, {@link #httpClient}, {@link #retryOptions} and {@link
   * #disableChallengeResourceVerification()}.
   *
   * @param pipeline the pipeline
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder pipeline(HttpPipeline pipeline) {
    Objects.requireNonNull(pipeline, "pipeline");
    if (this.pipeline != null) {
      throw new IllegalStateException("pipeline was already set");
    }
    this.pipeline = pipeline;
    return this;
  }

  /**
   * The azure-core HTTP client for Key Vault and for managed-identity token requests (e.g. a JDK
   * {@code HttpClient} with a custom {@code SSLContext} or timeouts, or a proxy). Every request
   * the provider sends goes through it. Default: the SDK's (the first {@code HttpClientProvider}
   * on the class path).
   *
   * @param httpClient the client
   * @return this builder
   * @throws NullPointerException if {@code httpClient} is null
   * @throws IllegalStateException if already set
   */
  public AzureKeyVaultProviderBuilder httpClient(HttpClient httpClient) {
    Objects.requireNonNull(httpClient, "httpClient");
    if (this.httpClient != null) {
      throw new IllegalStateException("httpClient was already set");
    }
    this.httpClient = httpClient;
    return this;
  }

  /**
   * The SDK's retry options for Key Vault calls and for the token requests of the credentials
   * this builder creates. Default: the SDK's (3 retries, exponential back-off, honouring {@code
   * Retry-After}; 429 and 5xx are retried, 401/403/404 not). MSAL adds its own retries of
   * managed-identity token requests (3, one second apart).
   *
   * @param retryOptions the options, e.g. {@code new RetryOptions(new FixedDelayOptions(2,
   *     Duration.ofMillis(200)))}
   * @return this builder
   * @throws NullPointerException if {@code retryOptions} is null
   * @throws IllegalStateException if already set
   */
  public AzureKeyVaultProviderBuilder retryOptions(RetryOptions retryOptions) {
    Objects.requireNonNull(retryOptions, "retryOptions");
    if (this.retryOptions != null) {
      throw new IllegalStateException("retryOptions was already set");
    }
    this.retryOptions = retryOptions;
    return this;
  }

  /**
   * The SDK's client options for Key Vault calls: application id (sent in {@code User-Agent}),
   * extra headers, tracing and metrics options. The caller's application id is never replaced:
   * with these options the {@code User-Agent} Key Vault sees carries the caller's application id
   * (or none, if they set none); without them it carries {@code cmk}. The options object is
   * passed as given, not copied, so it must not be changed after {@link #build()}.
   *
   * @param clientOptions the options
   * @return this builder
   * @throws NullPointerException if {@code clientOptions} is null
   * @throws IllegalStateException if already set
   */
  public AzureKeyVaultProviderBuilder clientOptions(ClientOptions clientOptions) {
    Objects.requireNonNull(clientOptions, "clientOptions");
    if (this.clientOptions != null) {
      throw new IllegalStateException("clientOptions was already set");
    }
    this.clientOptions = clientOptions;
    return this;
  }

  /**
   * The SDK's HTTP logging options for Key Vault calls (log level, allowed headers and query
   * parameters). Default: the SDK's (nothing logged unless {@code AZURE_HTTP_LOG_DETAIL_LEVEL} is
   * set). The SDK redacts the {@code Authorization} header at every level; bodies logged at
   * {@code BODY} level carry wrapped (never plaintext) data keys.
   *
   * @param httpLogOptions the options
   * @return this builder
   * @throws NullPointerException if {@code httpLogOptions} is null
   * @throws IllegalStateException if already set
   */
  public AzureKeyVaultProviderBuilder httpLogOptions(HttpLogOptions httpLogOptions) {
    Objects.requireNonNull(httpLogOptions, "httpLogOptions");
    if (this.httpLogOptions != null) {
      throw new IllegalStateException("httpLogOptions was already set");
    }
    this.httpLogOptions = httpLogOptions;
    return this;
  }

  /**
   * Adds a policy to the SDK pipeline of every Key Vault client (after the SDK's retry policy,
   * as the SDK's own {@code addPolicy} places per-retry policies: the policy sees every attempt,
   * including the authentication challenge). May be called repeatedly; policies run in the order
   * added. Not applied to the token requests of the credentials this builder creates.
   *
   * @param policy the policy
   * @return this builder
   * @throws NullPointerException if {@code policy} is null
   */
  public AzureKeyVaultProviderBuilder addPolicy(HttpPipelinePolicy policy) {
    Objects.requireNonNull(policy, "policy");
    policies.add(policy);
    return this;
  }

  /**
   * Pins the Key Vault REST api-version. Default: the SDK's latest.
   *
   * @param serviceVersion the version
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder serviceVersion(KeyServiceVersion serviceVersion) {
    Objects.requireNonNull(serviceVersion, "serviceVersion");
    if (this.serviceVersion != null) {
      throw new IllegalStateException("serviceVersion was already set");
    }
    this.serviceVersion = serviceVersion;
    return this;
  }

  /**
   * Turns off the SDK's check that the authentication challenge's resource matches the vault's
   * domain. Only for vaults reached under a non-Azure name (a private DNS alias, a loopback test
   * server on 127.0.0.1); never needed for {@code *.vault.azure.net} names.
   *
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder disableChallengeResourceVerification() {
    this.disableChallengeResourceVerification = true;
    return this;
  }

  /**
   * Allows a vault or Managed HSM; keys elsewhere are not served (see {@link
   * AzureKeyVaultProvider#serves}).
   *
   * @param vaultUrl e.g. {@code https://contoso-cmk.vault.azure.net} (a port is allowed for
   *     loopback tests); a key URL is accepted and reduced to its vault
   * @return this builder
   * @throws IllegalArgumentException if it is not a Key Vault or Managed HSM URL
   */
  public AzureKeyVaultProviderBuilder addVault(String vaultUrl) {
    vaults.add(VaultAllowList.normalize(vaultUrl));
    return this;
  }

  /**
   * Serves keys in any Key Vault or Managed HSM named by a reference. Weaker than listing the
   * vaults: an envelope could then make the provider call (and present its token to) any vault.
   *
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder allowAnyVault() {
    this.anyVault = true;
    return this;
  }

  /**
   * The clock for the enabled-state TTL and not-before / expiry checks. Default: the system
   * clock.
   *
   * @param clock the clock
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder clock(Clock clock) {
    Objects.requireNonNull(clock, "clock");
    if (this.clock != null) {
      throw new IllegalStateException("clock was already set");
    }
    this.clock = clock;
    return this;
  }

  /**
   * How long a version's enabled state, validity window and permitted operations, read from Key
   * Vault, are trusted for local wrapping before being read again. Default {@value
   * AzureKeyVaultProvider#DEFAULT_ENABLED_STATE_TTL_SECONDS} seconds; zero re-reads on every
   * wrap.
   *
   * @param ttl the time to live, not negative
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder enabledStateTtl(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative()) {
      throw new IllegalArgumentException("ttl must not be negative");
    }
    if (this.enabledStateTtl != null) {
      throw new IllegalStateException("enabledStateTtl was already set");
    }
    this.enabledStateTtl = ttl;
    return this;
  }

  /**
   * The client-side rate budget per vault. Default {@link RateBudget#defaultBudget()}.
   *
   * @param budget the budget
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder rateBudget(RateBudget budget) {
    Objects.requireNonNull(budget, "budget");
    if (this.rateBudget != null || rateBudgetDisabled) {
      throw new IllegalStateException("the rate budget was already configured");
    }
    this.rateBudget = budget;
    return this;
  }

  /**
   * Told when a call waited for the rate budget or was refused by it (cmk-micrometer's {@code
   * CmkMetrics.rateBudgetObserver()} publishes both). Default: nobody.
   *
   * @param observer the observer; its exceptions are caught and never reach the caller
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder rateBudgetObserver(RateBudgetObserver observer) {
    Objects.requireNonNull(observer, "observer");
    if (this.rateBudgetObserver != null) {
      throw new IllegalStateException("rateBudgetObserver was already set");
    }
    this.rateBudgetObserver = observer;
    return this;
  }

  /**
   * Sends every call at once, relying only on Key Vault's throttling and the SDK's retries.
   *
   * @return this builder
   */
  public AzureKeyVaultProviderBuilder disableRateBudget() {
    if (this.rateBudget != null || rateBudgetDisabled) {
      throw new IllegalStateException("the rate budget was already configured");
    }
    this.rateBudgetDisabled = true;
    return this;
  }

  /**
   * Builds the provider. No network call is made until the first operation.
   *
   * @return the provider
   * @throws IllegalStateException if no or several credentials were chosen, a pipeline is
   *     combined with client settings (credential, HTTP client, retry, client or log options,
   *     policies, challenge verification), or no vault was allowed
   */
  public AzureKeyVaultProvider build() {
    if (pipeline != null) {
      if (credential != null
          || httpClient != null
          || retryOptions != null
          || clientOptions != null
          || httpLogOptions != null
          || !policies.isEmpty()
          || disableChallengeResourceVerification) {
        throw new IllegalStateException(
            "a pipeline replaces the credential, httpClient, retryOptions, clientOptions,"
                + " httpLogOptions, policies and challenge settings; set them on the pipeline"
                + " instead");
      }
    } else if (credential == null) {
      throw new IllegalStateException(
          "choose a credential: credential(...), systemAssignedManagedIdentity(),"
              + " userAssignedManagedIdentityClientId(...),"
              + " userAssignedManagedIdentityResourceId(...), defaultAzureCredential() or"
              + " pipeline(...)");
    }
    if (vaults.isEmpty() && !anyVault) {
      throw new IllegalStateException("allow at least one vault with addVault(...), or allowAnyVault()");
    }
    return new AzureKeyVaultProvider(this);
  }
}
