package dev.cmk.softhsm.internal;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKS_RO_USER_FUNCTIONS;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKS_RW_USER_FUNCTIONS;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.softhsm.PinSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.xipki.pkcs11.wrapper.MechanismInfo;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Slot;
import org.xipki.pkcs11.wrapper.Token;
import org.xipki.pkcs11.wrapper.TokenInfo;

/**
 * The sessions of one provider on one token: a bounded pool of read-only sessions (each used by one
 * thread at a time) for wrap, unwrap and lookups, and short-lived read-write sessions for key
 * lifecycle changes. The application logs in once; a session opened later joins that login, or
 * logs in again (reading the PIN again) if the login was lost.
 *
 * <p>Lost sessions ({@link Pkcs11Errors#isSessionLost}) bump a generation counter, close every
 * idle session and retry the operation once with a fresh session; cached object handles carry the
 * generation they were found in and are looked up again after a bump.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
public final class TokenConnection implements AutoCloseable {

  /**
   * Which token to use: exactly one of label, serial number or slot id.
   *
   * @param label token label, or {@code null}
   * @param serial token serial number, or {@code null}
   * @param slotId slot id, or {@code null}
   */
  public record Selector(String label, String serial, Long slotId) {
    /** Checks that exactly one is set. */
    public Selector {
      int set = (label == null ? 0 : 1) + (serial == null ? 0 : 1) + (slotId == null ? 0 : 1);
      if (set != 1) {
        throw new IllegalStateException(
            "exactly one of tokenLabel, tokenSerial and slotId must be set, found " + set);
      }
    }

    String describe() {
      if (label != null) {
        return "label '" + label + "'";
      }
      if (serial != null) {
        return "serial number '" + serial + "'";
      }
      return "slot id " + slotId;
    }

    boolean matches(long slot, TokenInfo info) {
      if (label != null) {
        return label.equals(info.getLabel().trim());
      }
      if (serial != null) {
        return serial.equals(info.getSerialNumber().trim());
      }
      return slotId == slot;
    }
  }

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

  private static final class Pooled {
    final Session session;
    final long generation;

    Pooled(Session session, long generation) {
      this.session = session;
      this.generation = generation;
    }
  }

  private final Pkcs11Library library;
  private final long slotId;
  private final Token token;
  private final String tokenLabel;
  private final String tokenSerial;
  private final String manufacturer;
  private final String model;
  private final PinSource pinSource;
  private final int maxSessions;
  private final long acquireTimeoutNanos;
  private final Semaphore permits;
  private final ConcurrentLinkedDeque<Pooled> idle = new ConcurrentLinkedDeque<>();
  private final AtomicLong generation = new AtomicLong();
  private final AtomicInteger openSessions = new AtomicInteger();
  private final AtomicInteger inUse = new AtomicInteger();
  private final AtomicInteger peakInUse = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();

  private TokenConnection(
      Pkcs11Library library,
      long slotId,
      Token token,
      TokenInfo info,
      PinSource pinSource,
      int maxSessions,
      Duration acquireTimeout) {
    this.library = library;
    this.slotId = slotId;
    this.token = token;
    this.tokenLabel = info.getLabel().trim();
    this.tokenSerial = info.getSerialNumber().trim();
    this.manufacturer = info.getManufacturerID().trim();
    this.model = info.getModel().trim();
    this.pinSource = pinSource;
    this.maxSessions = maxSessions;
    this.acquireTimeoutNanos = acquireTimeout.toNanos();
    this.permits = new Semaphore(maxSessions, true);
  }

  /**
   * Loads the library, finds the token, opens the first session and logs in.
   *
   * @throws IllegalStateException for configuration errors: library not loadable, no (or more than
   *     one) matching token, PIN unreadable or refused. Messages never contain the PIN.
   */
  public static TokenConnection open(
      Path libraryPath,
      Selector selector,
      PinSource pinSource,
      int maxSessions,
      Duration acquireTimeout) {
    Objects.requireNonNull(selector, "selector");
    Pkcs11Library library = Pkcs11Library.acquire(libraryPath);
    TokenConnection connection = null;
    Session first = null;
    try {
      Slot slot = findSlot(library, selector);
      TokenInfo info = slot.getToken().getTokenInfo();
      connection =
          new TokenConnection(
              library, slot.getSlotID(), slot.getToken(), info, pinSource, maxSessions, acquireTimeout);
      first = slot.getToken().openSession(false);
      char[] pin = pinSource.read();
      try {
        library.register(slot.getSlotID(), first, pin);
      } finally {
        Arrays.fill(pin, '\0');
      }
      connection.openSessions.incrementAndGet();
      connection.idle.add(new Pooled(first, 0));
      return connection;
    } catch (PKCS11Exception e) {
      closeQuietly(first);
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
      closeQuietly(first);
      library.release();
      throw e;
    }
  }

  private static Slot findSlot(Pkcs11Library library, Selector selector) throws PKCS11Exception {
    List<Slot> found = new ArrayList<>();
    for (Slot slot : library.module().getSlotList(true)) {
      TokenInfo info = slot.getToken().getTokenInfo();
      if (info.isTokenInitialized() && selector.matches(slot.getSlotID(), info)) {
        found.add(slot);
      }
    }
    if (found.isEmpty()) {
      throw new IllegalStateException(
          "no initialized PKCS#11 token with " + selector.describe() + " in " + library.path());
    }
    if (found.size() > 1) {
      throw new IllegalStateException(
          found.size()
              + " PKCS#11 tokens with "
              + selector.describe()
              + " in "
              + library.path()
              + "; select the token by serial number");
    }
    return found.get(0);
  }

  /**
   * Runs {@code work} with a pooled read-only session; a lost session is re-opened and the work
   * retried once.
   *
   * @throws dev.cmk.api.KeyProviderException as classified by {@link Pkcs11Errors}, or as thrown
   *     by {@code work}
   */
  public <T> T call(String operation, KeyReference reference, SessionWork<T> work) {
    for (int attempt = 0; ; attempt++) {
      Pooled pooled = borrow(operation, reference);
      boolean healthy = true;
      try {
        return work.apply(pooled.session);
      } catch (PKCS11Exception e) {
        if (!Pkcs11Errors.isSessionLost(e.getErrorCode())) {
          throw Pkcs11Errors.toCmk(e, operation, reference);
        }
        healthy = false;
        reset(pooled.generation);
        if (attempt > 0) {
          throw Pkcs11Errors.toCmk(e, operation, reference);
        }
      } finally {
        giveBack(pooled, healthy);
      }
    }
  }

  /**
   * Runs {@code work} with a new read-write session that is closed afterwards; a lost session is
   * re-opened and the work retried once.
   *
   * @throws dev.cmk.api.KeyProviderException as classified by {@link Pkcs11Errors}, or as thrown
   *     by {@code work}
   */
  public <T> T callReadWrite(String operation, KeyReference reference, SessionWork<T> work) {
    for (int attempt = 0; ; attempt++) {
      checkOpen();
      long gen = generation.get();
      Session session = openSession(true, operation, reference);
      try {
        return work.apply(session);
      } catch (PKCS11Exception e) {
        if (!Pkcs11Errors.isSessionLost(e.getErrorCode())) {
          throw Pkcs11Errors.toCmk(e, operation, reference);
        }
        reset(gen);
        if (attempt > 0) {
          throw Pkcs11Errors.toCmk(e, operation, reference);
        }
      } finally {
        closeSession(session);
      }
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the PKCS#11 provider is closed");
    }
  }

  private Pooled borrow(String operation, KeyReference reference) {
    checkOpen();
    try {
      if (!permits.tryAcquire(acquireTimeoutNanos, TimeUnit.NANOSECONDS)) {
        throw new KeyProviderUnavailableException(
            "all " + maxSessions + " PKCS#11 sessions are busy", reference, null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyProviderUnavailableException(
          "interrupted while waiting for a PKCS#11 session", reference, e);
    }
    try {
      long gen = generation.get();
      Pooled pooled;
      while ((pooled = idle.pollFirst()) != null) {
        if (pooled.generation == gen) {
          break;
        }
        closeSession(pooled.session);
      }
      if (pooled == null) {
        pooled = new Pooled(openSession(false, operation, reference), gen);
      }
      int now = inUse.incrementAndGet();
      peakInUse.accumulateAndGet(now, Math::max);
      return pooled;
    } catch (RuntimeException e) {
      permits.release();
      throw e;
    }
  }

  private void giveBack(Pooled pooled, boolean healthy) {
    inUse.decrementAndGet();
    try {
      if (healthy && !closed.get() && pooled.generation == generation.get()) {
        idle.addFirst(pooled);
        if (closed.get()) {
          drainIdle();
        }
      } else {
        closeSession(pooled.session);
      }
    } finally {
      permits.release();
    }
  }

  private Session openSession(boolean readWrite, String operation, KeyReference reference) {
    Session session;
    try {
      session = token.openSession(readWrite);
    } catch (PKCS11Exception e) {
      throw Pkcs11Errors.isSessionLost(e.getErrorCode())
          ? new KeyProviderUnavailableException(
              "PKCS#11 " + operation + " failed: cannot open a session: " + Pkcs11Errors.name(e.getErrorCode()),
              reference,
              e)
          : Pkcs11Errors.toCmk(e, operation + " (open session)", reference);
    }
    openSessions.incrementAndGet();
    try {
      ensureLoggedIn(session, reference);
      return session;
    } catch (PKCS11Exception e) {
      closeSession(session);
      throw Pkcs11Errors.isSessionLost(e.getErrorCode())
          ? new KeyProviderUnavailableException(
              "PKCS#11 login failed: " + Pkcs11Errors.name(e.getErrorCode()), reference, e)
          : Pkcs11Errors.toCmk(e, "login", reference);
    } catch (RuntimeException e) {
      closeSession(session);
      throw e;
    }
  }

  private void ensureLoggedIn(Session session, KeyReference reference) throws PKCS11Exception {
    long state = session.getSessionInfo().getState();
    if (state == CKS_RO_USER_FUNCTIONS || state == CKS_RW_USER_FUNCTIONS) {
      return;
    }
    char[] pin;
    try {
      pin = pinSource.read();
    } catch (IllegalStateException e) {
      throw new KeyAccessDeniedException(
          "the PKCS#11 PIN could not be read for a new login",
          KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED,
          reference,
          e);
    }
    try {
      Pkcs11Library.login(session, pin);
    } finally {
      Arrays.fill(pin, '\0');
    }
  }

  /**
   * Drops every idle session if {@code seenGeneration} is still current (the first thread to see
   * a lost session does the work).
   */
  private void reset(long seenGeneration) {
    if (generation.compareAndSet(seenGeneration, seenGeneration + 1)) {
      drainIdle();
    }
  }

  private void drainIdle() {
    Pooled pooled;
    while ((pooled = idle.pollFirst()) != null) {
      closeSession(pooled.session);
    }
  }

  private void closeSession(Session session) {
    if (session != null) {
      openSessions.decrementAndGet();
      closeQuietly(session);
    }
  }

  private static void closeQuietly(Session session) {
    if (session != null) {
      try {
        session.closeSession();
      } catch (PKCS11Exception e) {
        // Already gone (lost session, finalized library): nothing to release.
      }
    }
  }

  /** The mechanism's info from {@code C_GetMechanismInfo}, empty if the token lacks it. */
  public Optional<MechanismInfo> mechanismInfo(long mechanism) {
    try {
      return Optional.of(
          new MechanismInfo(
              library.module().getPKCS11Module().C_GetMechanismInfo(slotId, mechanism)));
    } catch (iaik.pkcs.pkcs11.wrapper.PKCS11Exception e) {
      return Optional.empty();
    }
  }

  /** Counter bumped whenever sessions (and object handles with them) were found lost. */
  public long generation() {
    return generation.get();
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
    return openSessions.get();
  }

  /** Most pooled sessions ever in use at once. */
  public int peakSessionsInUse() {
    return peakInUse.get();
  }

  /** The pool's size limit. */
  public int maxSessions() {
    return maxSessions;
  }

  /**
   * Closes idle sessions (in-use ones when returned) and releases the library. Operations started
   * afterwards fail with {@link IllegalStateException}. Idempotent.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      drainIdle();
      library.unregister(slotId);
      library.release();
    }
  }
}
