package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.RecordedRequest;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Throttling, server errors, timeouts and unreachable vaults: how the provider classifies them
 * (transient, with the server's back-off hint) and how its rate budget smooths a burst below the
 * vault's limit.
 */
class ResilienceIT {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static LoopbackKeyVault server;
  private static LoopbackVault vault;
  private static VaultIdentity app;

  @BeforeAll
  static void setUp() {
    server = LoopbackFixture.server();
    vault = server.vault(LoopbackFixture.VAULT);
    app = server.createApplication("resilience-it");
    vault.grant(app, KeyPermission.GET, KeyPermission.WRAP_KEY, KeyPermission.UNWRAP_KEY);
  }

  @AfterEach
  void clearFaults() {
    vault.faults().clear();
  }

  private static SecretBytes dataKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return SecretBytes.wrapOwned(b);
  }

  private static long authenticated() {
    return vault.requests().stream().filter(RecordedRequest::authenticated).count();
  }

  /** Runs {@code count} unwraps of {@code wrapped} on 4 threads; returns the failures. */
  private static List<Throwable> burst(AzureKeyVaultProvider p, WrappedKey wrapped, int count) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        futures.add(pool.submit(() -> p.unwrap(wrapped)));
      }
      List<Throwable> failures = new ArrayList<>();
      for (Future<?> f : futures) {
        try {
          f.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          failures.add(e.getCause());
        }
      }
      return failures;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void burstAboveVaultLimit_withRateBudget_isSmoothedAndNeverThrottled() throws Exception {
    KeyReference key = LoopbackFixture.newRsaKey(vault, "smoothed");
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder(app)
            .retryOptions(LoopbackFixture.NO_SDK_RETRIES)
            .rateBudget(new RateBudget(15, Duration.ofSeconds(1), Duration.ofSeconds(30)))
            .build()) {
      WrappedKey wrapped = p.wrap(key, dataKey());
      p.unwrap(wrapped);
      vault.faults().setRequestLimit(20, Duration.ofSeconds(1));
      vault.clearRequests();
      long start = System.nanoTime();
      List<Throwable> failures = burst(p, wrapped, 60);
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      assertEquals(List.of(), failures);
      assertEquals(0, vault.throttledCount(), "the vault never had to throttle");
      assertEquals(60, authenticated());
      assertTrue(elapsed.compareTo(Duration.ofMillis(2500)) >= 0, "60 calls at 15/s take >= 3 s, took " + elapsed);
    }
  }

  @Test
  void burstAboveVaultLimit_withoutRateBudget_isThrottledAndClassifiedTransient() throws Exception {
    KeyReference key = LoopbackFixture.newRsaKey(vault, "stormy");
    try (AzureKeyVaultProvider p = LoopbackFixture.providerBuilder(app).retryOptions(LoopbackFixture.NO_SDK_RETRIES).disableRateBudget().build()) {
      WrappedKey wrapped = p.wrap(key, dataKey());
      p.unwrap(wrapped);
      vault.faults().setRequestLimit(20, Duration.ofSeconds(1));
      List<Throwable> failures = burst(p, wrapped, 60);
      assertFalse(failures.isEmpty(), "without a budget the burst trips the vault's limit");
      assertTrue(vault.throttledCount() > 0);
      for (Throwable t : failures) {
        KeyProviderUnavailableException e = (KeyProviderUnavailableException) t;
        assertFalse(e.isAuthoritative());
        assertTrue(e.getMessage().contains("429"), e.getMessage());
        assertTrue(e.retryAfter().orElseThrow().compareTo(Duration.ofSeconds(1)) >= 0);
      }
    }
  }

  @Test
  void throttled_retryAfterHeader_isCarriedOnTheException() {
    KeyReference key = LoopbackFixture.newRsaKey(vault, "retry-after");
    try (AzureKeyVaultProvider p = LoopbackFixture.providerBuilder(app).retryOptions(LoopbackFixture.NO_SDK_RETRIES).build()) {
      WrappedKey wrapped = p.wrap(key, dataKey());
      vault.faults().throttleNext(1, Duration.ofSeconds(7));
      KeyProviderUnavailableException e =
          assertThrows(KeyProviderUnavailableException.class, () -> p.unwrap(wrapped));
      assertEquals(Duration.ofSeconds(7), e.retryAfter().orElseThrow());
      p.unwrap(wrapped);
    }
  }

  @Test
  void serverErrorBurst_isClassifiedTransient_andRecovers() {
    KeyReference key = LoopbackFixture.newRsaKey(vault, "fivexx");
    try (AzureKeyVaultProvider p = LoopbackFixture.providerBuilder(app).retryOptions(LoopbackFixture.NO_SDK_RETRIES).build()) {
      SecretBytes dataKey = dataKey();
      WrappedKey wrapped = p.wrap(key, dataKey);
      vault.faults().failNext(2, 503);
      for (int i = 0; i < 2; i++) {
        KeyProviderUnavailableException e =
            assertThrows(KeyProviderUnavailableException.class, () -> p.unwrap(wrapped));
        assertFalse(e.isAuthoritative());
        assertTrue(e.getMessage().contains("503"), e.getMessage());
      }
      assertArrayEquals(dataKey.copy(), p.unwrap(wrapped).copy());
    }
  }

  @Test
  void serverErrorBurst_withSdkRetries_isRetriedTransparently() {
    KeyReference key = LoopbackFixture.newRsaKey(vault, "retried");
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder(app).retryOptions(new RetryOptions(new FixedDelayOptions(3, Duration.ofMillis(20)))).build()) {
      SecretBytes dataKey = dataKey();
      WrappedKey wrapped = p.wrap(key, dataKey);
      p.unwrap(wrapped);
      vault.clearRequests();
      vault.faults().failNext(2, 500);
      assertArrayEquals(dataKey.copy(), p.unwrap(wrapped).copy());
      assertEquals(3, authenticated(), "two failures and the successful retry");
    }
  }

  @Test
  void slowVault_responseTimeout_isClassifiedTransient() {
    KeyReference key = LoopbackFixture.newRsaKey(vault, "slow");
    HttpClient impatient =
        new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(server.clientSslContext()))
            .responseTimeout(Duration.ofMillis(300))
            .build();
    try (AzureKeyVaultProvider p =
        AzureKeyVaultProvider.builder()
            .httpClient(impatient)
            .retryOptions(LoopbackFixture.NO_SDK_RETRIES)
            .credential(LoopbackFixture.staticCredential(app))
            .addVault(vault.vaultUrl())
            .build()) {
      WrappedKey wrapped = p.wrap(key, dataKey());
      vault.faults().setLatency(Duration.ofMillis(1500));
      KeyProviderUnavailableException e =
          assertThrows(KeyProviderUnavailableException.class, () -> p.unwrap(wrapped));
      assertFalse(e.isAuthoritative());
      awaitRecorded(key, "/unwrapkey");
    }
  }

  /**
   * Waits (at most 5 s, well past the injected latency) until the vault has finished the request
   * the client gave up on, so that it is not recorded during another test sharing the vault. If the
   * vault could not read the abandoned request it never records it, and the wait just times out.
   */
  private static void awaitRecorded(KeyReference key, String pathSuffix) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (vault.requests().stream()
        .noneMatch(r -> r.path().contains("/keys/" + key.name() + "/")
            && r.path().toLowerCase(java.util.Locale.ROOT).endsWith(pathSuffix))) {
      if (System.nanoTime() > deadline) {
        return;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", ie);
      }
    }
  }

  @Test
  void unreachableVault_connectionRefused_isClassifiedTransient() throws Exception {
    int deadPort;
    try (ServerSocket probe = new ServerSocket(0)) {
      deadPort = probe.getLocalPort();
    }
    KeyReference nowhere =
        KeyReference.parse(
            "https://" + vault.host() + ":" + deadPort + "/keys/gone/0123456789abcdef0123456789abcdef");
    try (AzureKeyVaultProvider p =
        AzureKeyVaultProvider.builder()
            .httpClient(LoopbackFixture.httpClient())
            .retryOptions(LoopbackFixture.NO_SDK_RETRIES)
            .credential(LoopbackFixture.staticCredential(app))
            .allowAnyVault()
            .build()) {
      KeyProviderUnavailableException e =
          assertThrows(KeyProviderUnavailableException.class, () -> p.describe(nowhere));
      assertTrue(e.getMessage().contains("could not be reached"), e.getMessage());
    }
  }

  @Test
  void rateBudgetExhausted_withoutWaiting_failsFastWithRetryAfter_andTellsTheObserver() {
    KeyReference key = LoopbackFixture.newRsaKey(vault, "budget");
    java.util.List<Duration> refused = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.List<Duration> waited = new java.util.concurrent.CopyOnWriteArrayList<>();
    dev.cmk.api.spi.RateBudgetObserver observer = new dev.cmk.api.spi.RateBudgetObserver() {
      @Override
      public void rateBudgetWaited(String providerId, Duration d) {
        waited.add(d);
      }

      @Override
      public void rateBudgetRefused(String providerId, Duration wouldWait) {
        assertEquals(AzureKeyVaultProvider.ID, providerId);
        refused.add(wouldWait);
      }
    };
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder(app).rateBudget(new RateBudget(2, Duration.ofSeconds(10), Duration.ZERO))
            .rateBudgetObserver(observer).build()) {
      vault.clearRequests();
      p.describe(key);
      p.describe(key);
      KeyProviderUnavailableException e =
          assertThrows(KeyProviderUnavailableException.class, () -> p.describe(key));
      assertTrue(e.retryAfter().orElseThrow().compareTo(Duration.ZERO) > 0);
      assertTrue(e.retryAfter().orElseThrow().compareTo(Duration.ofSeconds(10)) <= 0);
      assertEquals(2, authenticated(), "the refused call never reached the vault");
      assertEquals(1, refused.size(), "one refusal observed");
      assertEquals(e.retryAfter().orElseThrow(), refused.get(0));
      assertEquals(List.of(), waited, "nothing waited: the budget had room, then refused");
    }
  }
}
