package dev.cmk.softhsm;

import static dev.cmk.softhsm.CmkOnToken.randomDataKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.softhsm.internal.TokenConnection;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The session pool: concurrency, exhaustion and recovery from lost sessions. */
class SoftHsmSessionPoolIT {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static SoftHsm.TestToken token;
  private static Pkcs11KeyProvider provider;
  private static KeyReference version;

  @BeforeAll
  static void setUp() {
    token = SoftHsm.createToken("pool-it");
    provider = token.provider().maxSessions(2).build();
    version = provider.manager().createKey("pooled", 2048);
  }

  @AfterAll
  static void tearDown() {
    if (provider != null) {
      provider.close();
    }
  }

  @Test
  void unwrap_twoThreads_runConcurrentlyOnTwoSessions() throws Exception {
    int perThread = 150;
    List<SecretBytes> keys = new ArrayList<>();
    List<WrappedKey> wrapped = new ArrayList<>();
    for (int i = 0; i < 2 * perThread; i++) {
      keys.add(randomDataKey());
      wrapped.add(provider.wrap(version, keys.get(i)));
    }
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        int offset = t * perThread;
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  int ok = 0;
                  for (int i = offset; i < offset + perThread; i++) {
                    if (provider.unwrap(wrapped.get(i)).equals(keys.get(i))) {
                      ok++;
                    }
                  }
                  return ok;
                }));
      }
      start.countDown();
      for (Future<Integer> f : results) {
        assertEquals(perThread, f.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
    TokenConnection c = provider.connection();
    assertEquals(2, c.peakSessionsInUse(), "both threads held a session at the same time");
    assertTrue(c.openSessions() <= 2, "never more than maxSessions: " + c.openSessions());
  }

  @Test
  void unwrap_allSessionsBusy_unavailableAfterAcquireTimeout() throws Exception {
    try (Pkcs11KeyProvider single =
        token.provider().maxSessions(1).sessionAcquireTimeout(Duration.ofMillis(200)).build()) {
      WrappedKey w = single.wrap(version, randomDataKey());
      CountDownLatch held = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Thread holder =
          new Thread(
              () ->
                  single
                      .connection()
                      .call(
                          "hold",
                          null,
                          s -> {
                            held.countDown();
                            try {
                              release.await();
                            } catch (InterruptedException e) {
                              Thread.currentThread().interrupt();
                            }
                            return null;
                          }));
      holder.start();
      try {
        assertTrue(held.await(10, TimeUnit.SECONDS));
        KeyProviderUnavailableException e =
            assertThrows(KeyProviderUnavailableException.class, () -> single.unwrap(w));
        assertFalse(e.isAuthoritative());
        assertTrue(e.getMessage().contains("busy"), e.getMessage());
      } finally {
        release.countDown();
        holder.join(10_000);
      }
      single.unwrap(w);
    }
  }

  @Test
  void unwrap_sessionsClosedBehindTheProvidersBack_reopensAndLogsInAgain() throws Exception {
    SecretBytes dataKey = randomDataKey();
    WrappedKey w = provider.wrap(version, dataKey);
    assertEquals(dataKey, provider.unwrap(w));
    TokenConnection c = provider.connection();
    long generation = c.generation();
    // Closes every session of this application on the token, which also logs it out: the pooled
    // sessions now fail with CKR_SESSION_HANDLE_INVALID.
    c.library().module().getPKCS11Module().C_CloseAllSessions(c.slotId());
    assertEquals(dataKey, provider.unwrap(w));
    assertTrue(c.generation() > generation, "the lost sessions were detected and dropped");
    assertEquals(dataKey, provider.unwrap(provider.wrap(version, dataKey)));
  }

  @Test
  void calls_loggedOutThroughAnotherSession_logInAgainAndRecover() throws Exception {
    try (Pkcs11KeyProvider p = token.provider().keyStateCacheTtl(Duration.ZERO).build()) {
      KeyReference own = p.manager().createKey("logout-" + RANDOM.nextInt(1_000_000), 2048);
      SecretBytes dataKey = randomDataKey();
      WrappedKey w = p.wrap(own, dataKey);
      assertEquals(dataKey, p.unwrap(w));
      long generation = p.connection().generation();

      SoftHsm.logoutThroughAnotherSession(p);
      assertEquals(dataKey, p.unwrap(w), "unwrap with a cached handle");
      assertTrue(p.connection().generation() > generation, "the lost login was detected");

      SoftHsm.logoutThroughAnotherSession(p);
      assertEquals(dataKey, p.unwrap(p.wrap(own, dataKey)), "wrap re-reads the key (TTL zero)");

      SoftHsm.logoutThroughAnotherSession(p);
      assertEquals(own, p.describe(own.versionless()).reference());
      SoftHsm.logoutThroughAnotherSession(p);
      assertTrue(p.describe(own).enabled());
      SoftHsm.logoutThroughAnotherSession(p);
      assertEquals(1, p.manager().listVersions(own).size());
    }
  }

  @Test
  void call_afterClose_illegalState() {
    Pkcs11KeyProvider closed = token.provider().build();
    closed.close();
    closed.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> closed.describe(version));
    assertEquals(randomDataKey().length(), 32);
    provider.describe(version); // the other provider on the same token is unaffected
  }
}
