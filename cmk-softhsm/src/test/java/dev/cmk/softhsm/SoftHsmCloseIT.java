package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Closing a provider while other threads are inside token operations. This class holds no provider
 * open between tests, so the provider closed here is the library's last user and its close would
 * run {@code C_Finalize}: before the fix, {@code C_Finalize} ran while another thread was inside
 * {@code C_Decrypt} and the JVM died with SIGSEGV.
 */
class SoftHsmCloseIT {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static SoftHsm.TestToken token;

  @BeforeAll
  static void setUp() {
    token = SoftHsm.createToken("close-it");
  }

  private static SecretBytes dataKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return SecretBytes.wrapOwned(b);
  }

  /** What one unwrapping thread saw: successful unwraps and the exception that stopped it. */
  private record Outcome(int unwrapped, Throwable failure) {}

  @Test
  void close_whileThreadsUnwrap_inFlightCallsCompleteAndLaterCallsFailCleanly() throws Exception {
    KeyReference version;
    try (Pkcs11KeyProvider setup = token.provider().build()) {
      version = setup.manager().createKey("closing", 2048);
    }
    int threads = 3;
    for (int round = 0; round < 5; round++) {
      Pkcs11KeyProvider p = token.provider().maxSessions(threads).build();
      SecretBytes dataKey = dataKey();
      WrappedKey wrapped = p.wrap(version, dataKey);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        CountDownLatch running = new CountDownLatch(threads);
        List<Future<Outcome>> outcomes = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          outcomes.add(
              pool.submit(
                  () -> {
                    int ok = 0;
                    running.countDown();
                    try {
                      while (true) {
                        if (!p.unwrap(wrapped).equals(dataKey)) {
                          throw new AssertionError("unwrap returned a wrong data key");
                        }
                        ok++;
                      }
                    } catch (RuntimeException e) {
                      return new Outcome(ok, e);
                    }
                  }));
        }
        assertTrue(running.await(10, TimeUnit.SECONDS));
        Thread.sleep(30);
        p.close();
        for (Future<Outcome> f : outcomes) {
          Outcome o = f.get(30, TimeUnit.SECONDS);
          assertTrue(
              o.failure() instanceof IllegalStateException
                  && o.failure().getMessage().contains("closed"),
              "calls after close fail with the documented IllegalStateException: " + o.failure());
        }
        assertThrows(IllegalStateException.class, () -> p.unwrap(wrapped));
        assertThrows(IllegalStateException.class, () -> p.wrap(version, dataKey));
        assertEquals(0, p.connection().openSessions(), "every session was closed");
      } finally {
        pool.shutdownNow();
      }
      // A new provider initializes the library again and reads what the closed one wrapped.
      try (Pkcs11KeyProvider again = token.provider().build()) {
        assertEquals(dataKey, again.unwrap(wrapped));
      }
    }
  }
}
