package dev.cmk.softhsm.internal;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_USER_NOT_LOGGED_IN;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.SecretSource;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.xipki.pkcs11.wrapper.MechanismInfo;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Slot;
import org.xipki.pkcs11.wrapper.Token;
import org.xipki.pkcs11.wrapper.TokenInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

/**
 * The sessions of one provider on one token: a bounded pool of read-only sessions (each used by one
 * thread at a time) for wrap, unwrap and lookups, and short-lived read-write sessions for key
 * lifecycle changes. The application logs in once; a session opened later joins that login, or
 * logs in again (reading the PIN again) if the login was lost.
 *
 * <p>Lost sessions ({@link Pkcs11Errors#isSessionLost}) bump a generation counter, close every
 * idle session and retry the operation once with a fresh session; cached object handles carry the
 * generation they were found in and are looked up again after a bump. A lost <em>login</em> counts
 * the same: when an operation finds no object, or its object handle is invalid, the session's
 * state is checked ({@code C_GetSessionInfo}) before the key is reported missing, because a session
 * that was logged out behind the provider's back ({@code C_Logout} by another user of the library
 * in the process, or an HSM ending the login) is a public session that sees no private object.
 *
 * <p>The sessions are a {@link SessionPool}; re-logins are {@link TokenLogin}'s: a PIN the token refused is not offered again for a
 * back-off ({@link #FIRST_LOGIN_BACKOFF}, doubling up to {@link #MAX_LOGIN_BACKOFF}). The token is
 * found by a {@link TokenSelector}.
 *
 * <p>{@link #close()} refuses new calls at once, but releases the library only when no call is
 * inside the token any more ({@code C_Finalize} while another thread is in {@code C_Decrypt}
 * crashes the JVM): it waits up to {@link #CLOSE_WAIT} for running calls, and if they take longer
 * the last of them releases the library as it finishes.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
public final class TokenConnection implements AutoCloseable {

  /** Work done with one session; may throw cmk exceptions directly. */
  @FunctionalInterface
  public interface SessionWork<T> {
    /**
     * @param session a logged-in session, used by this thread only until return
     * @return the result
     * @throws PKCS11Exception classified by the connection
     */
    T apply(Session session) throws PKCS11Exception;
  }

  /** First wait before a PIN the token refused is offered to it again. */
  public static final Duration FIRST_LOGIN_BACKOFF = TokenLogin.FIRST_BACKOFF;

  /** Longest wait before a refused PIN is offered again (the back-off doubles up to this). */
  public static final Duration MAX_LOGIN_BACKOFF = TokenLogin.MAX_BACKOFF;

  /** How long {@link #close()} waits for calls inside the token before it returns. */
  public static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(TokenConnection.class);

  private final Pkcs11Library library;
  private final long slotId;
  private final Token token;
  private final String tokenLabel;
  private final String tokenSerial;
  private final String manufacturer;
  private final String model;
  private final TokenLogin login;
  private final SessionPool pool;
  private final Object lifecycle = new Object();
  private int active; // guarded by lifecycle: calls between enter() and exit()
  private volatile boolean closing; // written under lifecycle
  private boolean released; // guarded by lifecycle

  private TokenConnection(
      Pkcs11Library library,
      long slotId,
      Token token,
      TokenInfo info,
      SecretSource pinSource,
      int maxSessions,
      Duration acquireTimeout,
      Clock clock) {
    this.library = library;
    this.slotId = slotId;
    this.token = token;
    this.tokenLabel = info.getLabel().trim();
    this.tokenSerial = info.getSerialNumber().trim();
    this.manufacturer = info.getManufacturerID().trim();
    this.model = info.getModel().trim();
    this.login = new TokenLogin(pinSource, tokenLabel, clock);
    this.pool = new SessionPool(token, login, maxSessions, acquireTimeout);
  }

  /**
   * Loads the library, finds the token, opens the first session and logs in.
   *
   * @param clock for the back-off after a refused re-login
   * @throws IllegalStateException for configuration errors: library not loadable, no (or more than
   *     one) matching token, PIN unreadable or refused. Messages never contain the PIN.
   */
  public static TokenConnection open(
      Path libraryPath,
      TokenSelector selector,
      SecretSource pinSource,
      int maxSessions,
      Duration acquireTimeout,
      Clock clock) {
    Objects.requireNonNull(selector, "selector");
    Objects.requireNonNull(clock, "clock");
    Pkcs11Library library = Pkcs11Library.acquire(libraryPath);
    TokenConnection connection = null;
    Session first = null;
    try {
      Slot slot = selector.find(library);
      TokenInfo info = slot.getToken().getTokenInfo();
      connection =
          new TokenConnection(
              library,
              slot.getSlotID(),
              slot.getToken(),
              info,
              pinSource,
              maxSessions,
              acquireTimeout,
              clock);
      first = slot.getToken().openSession(false);
      char[] pin = pinSource.read();
      try {
        library.register(slot.getSlotID(), first, pin);
      } finally {
        Arrays.fill(pin, '\0');
      }
      connection.pool.addFirst(first);
      return connection;
    } catch (PKCS11Exception e) {
      SessionPool.closeQuietly(first);
      library.release();
      long code = e.getErrorCode();
      String token = "PKCS#11 token with " + selector.describe() + " in " + library.path();
      if (Pkcs11Errors.isLoginRefused(code)) {
        throw new IllegalStateException(
            "login to "
                + token
                + " was refused: "
                + Pkcs11Errors.name(code)
                + "; check the PIN from "
                + pinSource,
            e);
      }
      throw new IllegalStateException(
          "cannot open " + token + ": " + Pkcs11Errors.name(code), e);
    } catch (RuntimeException e) {
      SessionPool.closeQuietly(first);
      library.release();
      throw e;
    }
  }

  /**
   * Runs {@code work} with a pooled read-only session; a lost session or login is re-opened and the
   * work retried once.
   *
   * @throws IllegalStateException if the connection is closed
   * @throws dev.cmk.api.KeyProviderException as classified by {@link Pkcs11Errors}, or as thrown
   *     by {@code work}
   */
  public <T> T call(String operation, @Nullable KeyReference reference, SessionWork<T> work) {
    return run(false, operation, reference, work);
  }

  /**
   * Runs {@code work} with a new read-write session that is closed afterwards; a lost session or
   * login is re-opened and the work retried once.
   *
   * @throws IllegalStateException if the connection is closed
   * @throws dev.cmk.api.KeyProviderException as classified by {@link Pkcs11Errors}, or as thrown
   *     by {@code work}
   */
  public <T> T callReadWrite(
      String operation, @Nullable KeyReference reference, SessionWork<T> work) {
    return run(true, operation, reference, work);
  }

  /**
   * The one retry loop of {@link #call} and {@link #callReadWrite}: a failure that {@link #lost}
   * classifies as a lost session or login drops the sessions of that generation and retries once
   * with a new session (and login); anything else is thrown as classified.
   */
  private <T> T run(
      boolean readWrite, String operation, @Nullable KeyReference reference, SessionWork<T> work) {
    enter();
    try {
      for (int attempt = 0; ; attempt++) {
        SessionPool.Lease lease =
            readWrite ? pool.openReadWrite(operation, reference) : pool.borrow(operation, reference);
        boolean healthy = true;
        try {
          return work.apply(lease.session);
        } catch (PKCS11Exception | KeyNotFoundException e) {
          if (!lost(e, lease.session)) {
            throw e instanceof PKCS11Exception p
                ? Pkcs11Errors.toCmk(p, operation, reference)
                : (KeyNotFoundException) e;
          }
          healthy = false;
          pool.reset(lease.generation);
          if (attempt > 0) {
            throw lostAgain(e, operation, reference);
          }
        } finally {
          if (readWrite) {
            pool.closeSession(lease.session);
          } else {
            pool.giveBack(lease, healthy);
          }
        }
      }
    } finally {
      exit();
    }
  }

  /**
   * Throws {@code CKR_USER_NOT_LOGGED_IN} if {@code session} is not logged in, so that an empty
   * search result is not mistaken for "no such objects" (the connection then logs in again and
   * retries).
   *
   * @param session a session borrowed through {@link #call} or {@link #callReadWrite}
   * @throws PKCS11Exception {@code CKR_USER_NOT_LOGGED_IN}, or as {@code C_GetSessionInfo} fails
   */
  public static void requireLogin(Session session) throws PKCS11Exception {
    if (!isUserSession(session)) {
      throw new PKCS11Exception(CKR_USER_NOT_LOGGED_IN);
    }
  }

  /**
   * Whether {@code e} means the session or its login is gone: a session-lost return value, or an
   * invalid handle or a key reported missing while the session is not logged in (checked with
   * {@code C_GetSessionInfo} only then, so successful calls pay nothing).
   */
  private static boolean lost(Exception e, Session session) {
    if (e instanceof PKCS11Exception p) {
      long code = p.getErrorCode();
      return Pkcs11Errors.isSessionLost(code)
          || (Pkcs11Errors.isHandleInvalid(code) && loginLost(session));
    }
    return loginLost(session); // KeyNotFoundException: a public session finds no private object
  }

  /** Whether {@code session} is no longer a logged-in user session (or is gone altogether). */
  private static boolean loginLost(Session session) {
    try {
      return !isUserSession(session);
    } catch (PKCS11Exception e) {
      return true;
    }
  }

  private static boolean isUserSession(Session session) throws PKCS11Exception {
    return TokenLogin.isUserSession(session);
  }

  /** The failure after the retry with a new session and login was lost too: transient. */
  private static RuntimeException lostAgain(
      Exception e, String operation, @Nullable KeyReference reference) {
    if (e instanceof PKCS11Exception p && Pkcs11Errors.isSessionLost(p.getErrorCode())) {
      return Pkcs11Errors.toCmk(p, operation, reference);
    }
    return new KeyProviderUnavailableException(
        "PKCS#11 " + operation + " failed: the token's login was lost again right after a new login",
        reference,
        e);
  }

  /** Counts a call in; refused once {@link #close()} has begun. */
  private void enter() {
    synchronized (lifecycle) {
      if (closing) {
        throw SessionPool.closedException();
      }
      active++;
    }
  }

  /** Counts a call out; the last one after {@link #close()} timed out releases the library. */
  private void exit() {
    synchronized (lifecycle) {
      active--;
      if (closing && active == 0) {
        releaseLibrary();
      }
      lifecycle.notifyAll();
    }
  }

  /** Called under {@code lifecycle}, once no call is inside the token. */
  private void releaseLibrary() {
    if (!released) {
      released = true;
      pool.drainIdle();
      library.unregister(slotId);
      library.release();
    }
  }

  /**
   * The mechanism's info from {@code C_GetMechanismInfo}, empty if the token lacks it ({@code
   * CKR_MECHANISM_INVALID}).
   *
   * @throws PKCS11Exception for any other failure (device error, token removed, &hellip;), which
   *     says nothing about the mechanism
   */
  public Optional<MechanismInfo> mechanismInfo(long mechanism) throws PKCS11Exception {
    try {
      return Optional.of(
          new MechanismInfo(
              library.module().getPKCS11Module().C_GetMechanismInfo(slotId, mechanism)));
    } catch (iaik.pkcs.pkcs11.wrapper.PKCS11Exception e) {
      if (Pkcs11Errors.isMechanismAbsent(e.getErrorCode())) {
        return Optional.empty();
      }
      throw new PKCS11Exception(e.getErrorCode());
    }
  }

  /** {@code C_Login} calls made for re-logins after the first (diagnostics and tests). */
  public int loginAttempts() {
    return login.attempts();
  }

  /** Counter bumped whenever sessions (and object handles with them) were found lost. */
  public long generation() {
    return pool.generation();
  }

  /** The token's label. */
  public String tokenLabel() {
    return tokenLabel;
  }

  /** The token's serial number. */
  public String tokenSerial() {
    return tokenSerial;
  }

  /** The token's manufacturer id. */
  public String manufacturer() {
    return manufacturer;
  }

  /** The token's model. */
  public String model() {
    return model;
  }

  /** The slot holding the token. */
  public long slotId() {
    return slotId;
  }

  /** The loaded library. */
  public Pkcs11Library library() {
    return library;
  }

  /** Sessions open right now (idle and in use, pooled and read-write). */
  public int openSessions() {
    return pool.openSessions();
  }

  /** Most pooled sessions ever in use at once. */
  public int peakSessionsInUse() {
    return pool.peakInUse();
  }

  /** The pool's size limit. */
  public int maxSessions() {
    return pool.maxSessions();
  }

  /**
   * Refuses new calls, closes idle sessions (in-use ones when returned) and releases the library
   * once no call is inside the token: it waits up to {@link #CLOSE_WAIT} for running calls; if they
   * take longer, the last one releases the library as it returns. Calls started afterwards (and the
   * retry of a running call) fail with {@link IllegalStateException}. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closing) {
        return;
      }
      closing = true;
      pool.markClosing();
    }
    pool.drainIdle();
    long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
    synchronized (lifecycle) {
      while (active > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          // The library is released when the last call returns.
          LOG.atWarn()
              .setMessage("cmk.pkcs11.closed-with-calls-in-flight")
              .addKeyValue("token", tokenLabel)
              .addKeyValue("calls", active)
              .log();
          return;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lifecycle, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return; // the last call to return releases the library
        }
      }
      releaseLibrary();
    }
  }
}
