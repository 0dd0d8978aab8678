package dev.cmk.softhsm.internal;

import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Token;

/**
 * The sessions of one {@link TokenConnection}: a bounded pool of read-only sessions (each used by
 * one thread at a time) and short-lived read-write sessions, every new session logged in through
 * {@link TokenLogin}. Sessions carry the generation they were opened in; {@link #reset} bumps the
 * generation when sessions were found lost, and sessions of an older generation are closed instead
 * of reused.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
final class SessionPool {

  /** A session and the generation it was opened in: pooled, or a read-write session's lease. */
  static final class Lease {
    final Session session;
    final long generation;

    Lease(Session session, long generation) {
      this.session = session;
      this.generation = generation;
    }
  }

  private final Token token;
  private final TokenLogin login;
  private final int maxSessions;
  private final long acquireTimeoutNanos;
  private final Semaphore permits;
  private final ConcurrentLinkedDeque<Lease> idle = new ConcurrentLinkedDeque<>();
  private final AtomicLong generation = new AtomicLong();
  private final AtomicInteger openSessions = new AtomicInteger();
  private final AtomicInteger peakInUse = new AtomicInteger();
  private volatile boolean closing;

  SessionPool(Token token, TokenLogin login, int maxSessions, Duration acquireTimeout) {
    this.token = token;
    this.login = login;
    this.maxSessions = maxSessions;
    this.acquireTimeoutNanos = acquireTimeout.toNanos();
    this.permits = new Semaphore(maxSessions, true);
  }

  /** Pools the first session, opened and logged in while the connection was opened. */
  void addFirst(Session first) {
    openSessions.incrementAndGet();
    idle.add(new Lease(first, 0));
  }

  static IllegalStateException closedException() {
    return new IllegalStateException("the PKCS#11 provider is closed");
  }

  /** A pooled read-only session for this thread; give it back with {@link #giveBack}. */
  Lease borrow(String operation, @Nullable KeyReference reference) {
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
      if (closing) {
        throw closedException();
      }
      long gen = generation.get();
      Lease pooled;
      while ((pooled = idle.pollFirst()) != null) {
        if (pooled.generation == gen) {
          break;
        }
        closeSession(pooled.session);
      }
      if (pooled == null) {
        pooled = new Lease(openSession(false, operation, reference), gen);
      }
      // In use: the permits taken (this thread's included), derived from the semaphore itself.
      peakInUse.accumulateAndGet(maxSessions - permits.availablePermits(), Math::max);
      return pooled;
    } catch (RuntimeException e) {
      permits.release();
      throw e;
    }
  }

  /** A new read-write session; refused once closing has begun (also for a retry). */
  Lease openReadWrite(String operation, @Nullable KeyReference reference) {
    if (closing) {
      throw closedException();
    }
    long gen = generation.get();
    return new Lease(openSession(true, operation, reference), gen);
  }

  /** Returns a borrowed session: pooled again if {@code healthy} and current, else closed. */
  void giveBack(Lease pooled, boolean healthy) {
    try {
      if (healthy && !closing && pooled.generation == generation.get()) {
        idle.addFirst(pooled);
        if (closing) {
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
              "PKCS#11 "
                  + operation
                  + " failed: cannot open a session: "
                  + Pkcs11Errors.name(e.getErrorCode()),
              reference,
              e)
          : Pkcs11Errors.toCmk(e, operation + " (open session)", reference);
    }
    openSessions.incrementAndGet();
    try {
      login.ensureLoggedIn(session, reference);
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

  /**
   * Drops every idle session if {@code seenGeneration} is still current (the first thread to see
   * a lost session does the work).
   */
  void reset(long seenGeneration) {
    if (generation.compareAndSet(seenGeneration, seenGeneration + 1)) {
      drainIdle();
    }
  }

  /** Refuses new sessions from now on; idle ones are closed by {@link #drainIdle}. */
  void markClosing() {
    closing = true;
  }

  void drainIdle() {
    Lease pooled;
    while ((pooled = idle.pollFirst()) != null) {
      closeSession(pooled.session);
    }
  }

  void closeSession(@Nullable Session session) {
    if (session != null) {
      openSessions.decrementAndGet();
      closeQuietly(session);
    }
  }

  static void closeQuietly(@Nullable Session session) {
    if (session != null) {
      try {
        session.closeSession();
      } catch (PKCS11Exception e) {
        // Already gone (lost session, finalized library): nothing to release.
      }
    }
  }

  long generation() {
    return generation.get();
  }

  int openSessions() {
    return openSessions.get();
  }

  int peakInUse() {
    return peakInUse.get();
  }

  int maxSessions() {
    return maxSessions;
  }
}
