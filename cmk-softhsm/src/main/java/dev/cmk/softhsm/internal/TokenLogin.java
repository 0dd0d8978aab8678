package dev.cmk.softhsm.internal;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKS_RO_USER_FUNCTIONS;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKS_RW_USER_FUNCTIONS;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.SecretSource;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

/**
 * The application's login to one token after the first: a session that is not (or no longer) a
 * logged-in user session logs in again with the PIN read afresh from its {@link SecretSource}.
 *
 * <p>A re-login whose PIN the token refuses ({@link Pkcs11Errors#isPinRefused}) is latched: the same
 * PIN is not offered again until a back-off has passed ({@link #FIRST_BACKOFF}, doubling up to
 * {@link #MAX_BACKOFF}), so that a wrong PIN cannot lock the token's user PIN by being retried on
 * every request. A different PIN from the source (the operator fixed it) is tried at once; a new
 * provider starts without the latch. The PIN is compared as an HMAC under a per-process key, never
 * kept. Logins are serialized.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
final class TokenLogin {
  /** First wait before a PIN the token refused is offered to it again. */
  static final Duration FIRST_BACKOFF = Duration.ofMinutes(1);

  /** Longest wait before a refused PIN is offered again (the back-off doubles up to this). */
  static final Duration MAX_BACKOFF = Duration.ofHours(1);

  private static final Logger LOG = LoggerFactory.getLogger(TokenLogin.class);

  /** A login the token refused: the PIN (as an HMAC), the return value and the back-off. */
  private record RefusedLogin(byte[] pinMac, long code, Instant until, Duration backoff) {}

  private final SecretSource pinSource;
  private final String tokenLabel;
  private final Clock clock;
  private final AtomicInteger attempts = new AtomicInteger();
  private final Object lock = new Object();
  private @Nullable RefusedLogin refused; // guarded by lock

  TokenLogin(SecretSource pinSource, String tokenLabel, Clock clock) {
    this.pinSource = pinSource;
    this.tokenLabel = tokenLabel;
    this.clock = clock;
  }

  /** The PIN source, for messages (it prints its origin, never the PIN). */
  SecretSource pinSource() {
    return pinSource;
  }

  /** {@code C_Login} calls made for re-logins (diagnostics and tests). */
  int attempts() {
    return attempts.get();
  }

  /** Whether {@code session} is a logged-in user session. */
  static boolean isUserSession(Session session) throws PKCS11Exception {
    long state = session.getSessionInfo().getState();
    return state == CKS_RO_USER_FUNCTIONS || state == CKS_RW_USER_FUNCTIONS;
  }

  /**
   * Logs {@code session} in unless it is a user session already, honouring the back-off.
   *
   * @throws KeyAccessDeniedException {@code IDENTITY_NOT_AUTHORIZED} if the PIN cannot be read, or
   *     is the one refused last time and the back-off has not passed
   * @throws PKCS11Exception as {@code C_Login} fails
   */
  void ensureLoggedIn(Session session, KeyReference reference) throws PKCS11Exception {
    if (isUserSession(session)) {
      return;
    }
    synchronized (lock) {
      if (isUserSession(session)) {
        return; // another thread logged the application in meanwhile
      }
      char[] pin = readPin(reference);
      try {
        login(session, pin, reference);
      } finally {
        Arrays.fill(pin, '\0');
      }
    }
  }

  private void login(Session session, char[] pin, KeyReference reference) throws PKCS11Exception {
    byte[] mac = Pkcs11Library.pinMac(pin);
    Instant now = clock.instant();
    RefusedLogin last = refused;
    if (last != null && now.isBefore(last.until()) && MessageDigest.isEqual(last.pinMac(), mac)) {
      throw new KeyAccessDeniedException(
          "the PKCS#11 token refused the PIN from "
              + pinSource
              + " at the last login ("
              + Pkcs11Errors.name(last.code())
              + "); not trying it again before "
              + last.until()
              + ", so as not to lock the PIN. Fix the PIN source (a different PIN is tried at"
              + " once) or build a new provider",
          KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED,
          reference);
    }
    attempts.incrementAndGet();
    try {
      Pkcs11Library.login(session, pin);
      refused = null;
    } catch (PKCS11Exception e) {
      if (Pkcs11Errors.isPinRefused(e.getErrorCode())) {
        Duration backoff =
            last == null ? FIRST_BACKOFF : min(last.backoff().multipliedBy(2), MAX_BACKOFF);
        refused = new RefusedLogin(mac, e.getErrorCode(), now.plus(backoff), backoff);
        // The PIN is offered again after the back-off, or as soon as the source yields another.
        LOG.atWarn()
            .setMessage("cmk.pkcs11.pin-refused")
            .addKeyValue("token", tokenLabel)
            .addKeyValue("pinSource", pinSource)
            .addKeyValue("error", Pkcs11Errors.name(e.getErrorCode()))
            .addKeyValue("retryAfter", backoff)
            .log();
      }
      throw e;
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private char[] readPin(KeyReference reference) {
    try {
      return pinSource.read();
    } catch (RuntimeException e) {
      // IllegalStateException from the built-in sources; anything a callback throws.
      throw new KeyAccessDeniedException(
          "the PKCS#11 PIN could not be read for a new login from " + pinSource,
          KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED,
          reference,
          e);
    }
  }
}
