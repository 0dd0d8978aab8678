package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpPipelinePosition;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.HttpLogDetailLevel;
import com.azure.core.http.policy.HttpLogOptions;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.util.ClientOptions;
import com.azure.core.util.Context;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.RecordedRequest;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * The usual Azure SDK knobs of {@link AzureKeyVaultProviderBuilder} (client options, log options,
 * retry options, added policies, HTTP client), through the real Azure SDK over HTTPS against the
 * loopback Key Vault, which records what it received.
 */
class AzureSdkKnobsIT {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static LoopbackVault vault;
  private static VaultIdentity app;

  @BeforeAll
  static void setUp() {
    vault = LoopbackFixture.server().vault(LoopbackFixture.VAULT);
    app = LoopbackFixture.server().createApplication("sdk-knobs-it");
    vault.grant(app, KeyPermission.GET, KeyPermission.WRAP_KEY, KeyPermission.UNWRAP_KEY);
  }

  @AfterEach
  void clearFaults() {
    vault.faults().clear();
  }

  /** What the vault received for one key (its name is unique to the test). */
  private static List<RecordedRequest> received(KeyReference key) {
    return vault.requests().stream().filter(r -> r.path().startsWith("/keys/" + key.name() + "/")).toList();
  }

  private static SecretBytes dataKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return SecretBytes.wrapOwned(b);
  }

  /** A policy that records the path of every request it sees. */
  private static final class Recording implements HttpPipelinePolicy {
    final List<String> paths = new CopyOnWriteArrayList<>();

    @Override
    public Mono<HttpResponse> process(
        com.azure.core.http.HttpPipelineCallContext context, com.azure.core.http.HttpPipelineNextPolicy next) {
      paths.add(context.getHttpRequest().getUrl().getPath());
      return next.process();
    }

    @Override
    public HttpPipelinePosition getPipelinePosition() {
      return HttpPipelinePosition.PER_RETRY;
    }
  }

  @Test
  void clientOptions_callersApplicationId_reachesTheVaultInUserAgent() {
    KeyReference key = LoopbackFixture.newRsaKey(vault, "app-id");
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder(app).clientOptions(new ClientOptions().setApplicationId("contoso-records")).build()) {
      p.describe(key);
    }
    List<RecordedRequest> got = received(key);
    assertFalse(got.isEmpty());
    for (RecordedRequest r : got) {
      String userAgent = r.header("User-Agent").orElseThrow();
      assertTrue(userAgent.startsWith("contoso-records "), userAgent);
      assertFalse(userAgent.startsWith("cmk "), userAgent);
    }
  }

  @Test
  void clientOptions_absent_userAgentCarriesCmk() {
    KeyReference key = LoopbackFixture.newRsaKey(vault, "cmk-id");
    try (AzureKeyVaultProvider p = LoopbackFixture.providerBuilder(app).build()) {
      p.describe(key);
    }
    for (RecordedRequest r : received(key)) {
      assertTrue(r.header("User-Agent").orElseThrow().startsWith("cmk "), r.toString());
    }
  }

  @Test
  void addPolicy_twoPolicies_eachSeesEveryRequestTheVaultReceived() {
    KeyReference key = LoopbackFixture.newRsaKey(vault, "policy");
    Recording first = new Recording();
    Recording second = new Recording();
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder(app)
            .addPolicy(first)
            .addPolicy(second)
            .httpLogOptions(new HttpLogOptions().setLogLevel(HttpLogDetailLevel.BASIC))
            .build()) {
      WrappedKey wrapped = p.wrap(key, dataKey());
      p.unwrap(wrapped).destroy();
    }
    List<String> atVault = received(key).stream().map(RecordedRequest::path).toList();
    // describe (challenge + GET) and unwrap (challenge + POST) at least.
    assertTrue(atVault.size() >= 2, atVault.toString());
    assertEquals(atVault, first.paths.stream().filter(p -> p.startsWith("/keys/" + key.name() + "/")).toList());
    assertEquals(first.paths, second.paths);
  }

  @Test
  void httpClient_callersClient_carriesEveryRequest() {
    KeyReference key = LoopbackFixture.newRsaKey(vault, "client");
    AtomicInteger sent = new AtomicInteger();
    HttpClient loopback = LoopbackFixture.httpClient();
    HttpClient counting =
        new HttpClient() {
          @Override
          public Mono<HttpResponse> send(HttpRequest request) {
            return send(request, Context.NONE);
          }

          @Override
          public Mono<HttpResponse> send(HttpRequest request, Context context) {
            if (request.getUrl().getPath().startsWith("/keys/" + key.name() + "/")) {
              sent.incrementAndGet();
            }
            return loopback.send(request, context);
          }
        };
    AzureKeyVaultProviderBuilder b =
        AzureKeyVaultProvider.builder()
            .httpClient(counting)
            .addVault(vault.vaultUrl())
            .credential(LoopbackFixture.staticCredential(app));
    SecretBytes dataKey = dataKey();
    try (AzureKeyVaultProvider p = b.build()) {
      assertArrayEquals(dataKey.copy(), p.unwrap(p.wrap(key, dataKey)).copy());
    }
    assertTrue(sent.get() >= 2);
    assertEquals(received(key).size(), sent.get());
  }

  @Test
  void retryOptions_twoRetries_503sAreRetriedExactlyTwice() {
    RetryOptions twoRetries = new RetryOptions(new FixedDelayOptions(2, Duration.ofMillis(20)));
    KeyReference recovering = LoopbackFixture.newRsaKey(vault, "retry-ok");
    try (AzureKeyVaultProvider p = LoopbackFixture.providerBuilder(app).retryOptions(twoRetries).disableRateBudget().build()) {
      WrappedKey wrapped = p.wrap(recovering, dataKey());
      vault.faults().failNext(2, 503);
      p.unwrap(wrapped).destroy();
      assertEquals(2, count503(recovering), "two failures, then the third attempt succeeds");

      KeyReference failing = LoopbackFixture.newRsaKey(vault, "retry-exhausted");
      WrappedKey other = p.wrap(failing, dataKey());
      vault.faults().failNext(5, 503);
      assertThrows(KeyProviderUnavailableException.class, () -> p.unwrap(other));
      assertEquals(3, count503(failing), "the first attempt and exactly two retries");
    }
  }

  private static long count503(KeyReference key) {
    return received(key).stream().filter(r -> r.status() == 503).count();
  }
}
