package dev.cmk.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.policy.HttpLogOptions;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.client.traits.HttpTrait;
import com.azure.core.client.traits.TokenCredentialTrait;
import com.azure.core.util.ClientOptions;
import com.azure.security.keyvault.keys.KeyClient;
import com.azure.security.keyvault.keys.KeyClientBuilder;
import com.azure.security.keyvault.keys.KeyServiceVersion;
import com.azure.security.keyvault.keys.cryptography.CryptographyClient;
import com.azure.security.keyvault.keys.cryptography.CryptographyClientBuilder;
import com.azure.security.keyvault.keys.cryptography.CryptographyServiceVersion;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.azure.internal.BoundedCache;
import dev.cmk.api.spi.RateBudgetObserver;
import dev.cmk.azure.internal.SlidingWindowBudget;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The Azure SDK clients of one {@link AzureKeyVaultProvider}: a {@code KeyClient} per vault and a
 * {@code CryptographyClient} per key version (bounded), all built with the provider's credential
 * or pipeline, HTTP client, client / log / retry options, added policies and challenge settings, and the client-side rate budget per
 * vault.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
final class VaultClients {
  private static final int MAX_CRYPTO_CLIENTS = 256;
  /** cmk's application id in {@code User-Agent}, used only when the caller gave no options. */
  private static final ClientOptions CMK_CLIENT_OPTIONS = new ClientOptions().setApplicationId("cmk");

  private final @Nullable TokenCredential credential;
  private final @Nullable HttpPipeline pipeline;
  private final @Nullable HttpClient httpClient;
  private final @Nullable RetryOptions retryOptions;
  private final ClientOptions clientOptions;
  private final @Nullable HttpLogOptions httpLogOptions;
  private final List<HttpPipelinePolicy> policies;
  private final @Nullable KeyServiceVersion serviceVersion;
  private final boolean disableChallengeResourceVerification;
  private final @Nullable RateBudget rateBudget;
  private final @Nullable RateBudgetObserver rateBudgetObserver;
  private final ConcurrentHashMap<String, KeyClient> keyClients = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, SlidingWindowBudget> budgets = new ConcurrentHashMap<>();
  private final BoundedCache<KeyReference, CryptographyClient> cryptographyClients =
      new BoundedCache<>(MAX_CRYPTO_CLIENTS);

  VaultClients(AzureKeyVaultProviderBuilder b) {
    this.pipeline = b.pipeline;
    this.httpClient = b.httpClient;
    this.retryOptions = b.retryOptions;
    this.clientOptions = b.clientOptions != null ? b.clientOptions : CMK_CLIENT_OPTIONS;
    this.httpLogOptions = b.httpLogOptions;
    this.policies = List.copyOf(b.policies);
    this.serviceVersion = b.serviceVersion;
    this.disableChallengeResourceVerification = b.disableChallengeResourceVerification;
    this.rateBudget =
        b.rateBudgetDisabled
            ? null
            : (b.rateBudget != null ? b.rateBudget : RateBudget.defaultBudget());
    this.rateBudgetObserver = b.rateBudgetObserver;
    this.credential = b.pipeline != null ? null : b.credential.create(b.httpClient, b.retryOptions);
  }

  /** Drops every client. */
  void clear() {
    cryptographyClients.clear();
    keyClients.clear();
  }

  KeyClient keyClient(KeyReference reference) {
    String vaultUrl = reference.vaultUrl().orElseThrow();
    return keyClients.computeIfAbsent(vaultUrl, this::newKeyClient);
  }

  private KeyClient newKeyClient(String vaultUrl) {
    KeyClientBuilder b = new KeyClientBuilder().vaultUrl(vaultUrl);
    configure(b, b::disableChallengeResourceVerification);
    if (serviceVersion != null) {
      b.serviceVersion(serviceVersion);
    }
    return b.buildClient();
  }

  /**
   * The settings both clients share: the caller's pipeline as given, or credential, client
   * options (the caller's, or cmk's application id), HTTP client, log options, retry options,
   * added policies and challenge verification.
   */
  private <B extends HttpTrait<B> & TokenCredentialTrait<B>> void configure(B b,
      Runnable disableChallengeResourceVerification) {
    if (pipeline != null) {
      b.pipeline(pipeline);
      return;
    }
    b.credential(credential).clientOptions(clientOptions);
    if (httpClient != null) {
      b.httpClient(httpClient);
    }
    if (httpLogOptions != null) {
      b.httpLogOptions(httpLogOptions);
    }
    for (HttpPipelinePolicy policy : policies) {
      b.addPolicy(policy);
    }
    if (retryOptions != null) {
      b.retryOptions(retryOptions);
    }
    if (this.disableChallengeResourceVerification) {
      disableChallengeResourceVerification.run();
    }
  }

  CryptographyClient cryptographyClient(KeyReference reference) {
    return cryptographyClients.computeIfAbsent(reference, this::newCryptographyClient);
  }

  private CryptographyClient newCryptographyClient(KeyReference reference) {
    CryptographyClientBuilder b =
        new CryptographyClientBuilder().keyIdentifier(reference.toString()).disableKeyCaching();
    configure(b, b::disableChallengeResourceVerification);
    if (serviceVersion != null) {
      b.serviceVersion(CryptographyServiceVersion.valueOf(serviceVersion.name()));
    }
    return b.buildClient();
  }

  void acquire(KeyReference reference, String operation) {
    if (rateBudget == null) {
      return;
    }
    SlidingWindowBudget budget =
        budgets.computeIfAbsent(
            reference.vaultUrl().orElseThrow(),
            v -> new SlidingWindowBudget(rateBudget.operations(), rateBudget.window(), rateBudget.maxWait()));
    try {
      long waited = budget.acquire();
      if (waited > 0) {
        observe(o -> o.rateBudgetWaited(AzureKeyVaultProvider.ID, Duration.ofNanos(waited)));
      }
    } catch (SlidingWindowBudget.ExhaustedException e) {
      observe(o -> o.rateBudgetRefused(AzureKeyVaultProvider.ID, e.waitTime()));
      throw new KeyProviderUnavailableException(
          operation + " refused: the client-side rate budget of " + rateBudget.operations()
              + " calls per " + rateBudget.window().toMillis() + " ms for this vault is exhausted",
          reference,
          e.waitTime(),
          null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyProviderUnavailableException(
          operation + " interrupted while waiting for the rate budget", reference, e);
    }
  }

  private void observe(java.util.function.Consumer<RateBudgetObserver> event) {
    if (rateBudgetObserver != null) {
      try {
        event.accept(rateBudgetObserver);
      } catch (RuntimeException ignored) {
        // an observer never breaks a call
      }
    }
  }
}
