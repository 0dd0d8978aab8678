package dev.cmk.softhsm;

import static dev.cmk.softhsm.CmkOnToken.randomDataKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.testkit.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Key state changed by another process (a second JVM running {@link KeyTool} with its own library
 * instance and login) is noticed: unwrap at once (the token checks every decryption), wrap when
 * the cached state expires on the injected clock.
 */
class SoftHsmSecondProcessIT {
  private static final Duration TTL = Duration.ofSeconds(5);

  private static SoftHsm.TestToken token;
  private static ManualClock clock;
  private static Pkcs11KeyProvider provider;

  @BeforeAll
  static void setUp() {
    token = SoftHsm.createToken("second-process-it");
    clock = ManualClock.create();
    provider = token.provider().clock(clock).keyStateCacheTtl(TTL).build();
  }

  @AfterAll
  static void tearDown() {
    if (provider != null) {
      provider.close();
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  @Test
  void unwrap_disabledBySecondProcessMidTraffic_deniedAndWorksAgainWhenEnabled() throws Exception {
    KeyReference version = provider.manager().createKey("traffic", 2048);
    SecretBytes dataKey = randomDataKey();
    WrappedKey wrapped = provider.wrap(version, dataKey);

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger unwrapped = new AtomicInteger();
    AtomicInteger denied = new AtomicInteger();
    ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    Thread traffic =
        new Thread(
            () -> {
              while (!stop.get()) {
                try {
                  if (provider.unwrap(wrapped).equals(dataKey)) {
                    unwrapped.incrementAndGet();
                  } else {
                    unexpected.add(new AssertionError("wrong data key"));
                  }
                } catch (KeyAccessDeniedException e) {
                  denied.incrementAndGet();
                } catch (Throwable t) {
                  unexpected.add(t);
                }
              }
            },
            "unwrap-traffic");
    traffic.start();
    try {
      awaitTrue(() -> unwrapped.get() > 20, "traffic to flow");

      SoftHsm.inSecondProcess(token, "disable", version);
      KeyAccessDeniedException e =
          assertThrows(KeyAccessDeniedException.class, () -> provider.unwrap(wrapped));
      assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, e.reason());
      assertTrue(e.isAuthoritative());
      awaitTrue(() -> denied.get() > 0, "the traffic thread to be denied");
      assertThrows(
          KeyAccessDeniedException.class,
          () -> provider.wrap(version, randomDataKey()),
          "a denied unwrap marks the version disabled for wrap too");

      SoftHsm.inSecondProcess(token, "enable", version);
      assertEquals(dataKey, provider.unwrap(wrapped), "enabled again: unwrap works");
      int before = unwrapped.get();
      awaitTrue(() -> unwrapped.get() > before + 20, "traffic to recover");
    } finally {
      stop.set(true);
      traffic.join(10_000);
    }
    assertEquals(List.of(), List.copyOf(unexpected), "only successes and KeyAccessDenied");
  }

  @Test
  void wrap_disabledBySecondProcess_refusedOnceCachedStateExpires() {
    KeyReference version = provider.manager().createKey("wrap-cache", 2048);
    provider.wrap(version, randomDataKey());

    SoftHsm.inSecondProcess(token, "disable", version);
    provider.wrap(version, randomDataKey()); // within the TTL the cached enabled state is used
    clock.advance(TTL);
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> provider.wrap(version, randomDataKey()));
    assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, e.reason());

    SoftHsm.inSecondProcess(token, "enable", version);
    assertThrows(KeyAccessDeniedException.class, () -> provider.wrap(version, randomDataKey()));
    clock.advance(TTL);
    SecretBytes dataKey = randomDataKey();
    assertEquals(dataKey, provider.unwrap(provider.wrap(version, dataKey)));
  }

  @Test
  void unwrapAndWrap_keyDeletedBySecondProcess_keyNotFound() {
    KeyReference version = provider.manager().createKey("deleted-elsewhere", 2048);
    WrappedKey wrapped = provider.wrap(version, randomDataKey());
    provider.unwrap(wrapped); // object handle now cached

    SoftHsm.inSecondProcess(token, "delete", version.versionless());
    assertThrows(KeyNotFoundException.class, () -> provider.unwrap(wrapped));
    clock.advance(TTL);
    assertThrows(KeyNotFoundException.class, () -> provider.wrap(version, randomDataKey()));
    assertThrows(KeyNotFoundException.class, () -> provider.describe(version.versionless()));
  }
}
