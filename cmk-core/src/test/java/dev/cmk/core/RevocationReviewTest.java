package dev.cmk.core;

import static dev.cmk.core.ReviewThreads.daemon;
import static dev.cmk.core.ReviewThreads.trace;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.testkit.Fault;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.ForwardingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Review of issue #10 (exact revocation): each test pins a behaviour the change should have and,
 * at the time of writing, does not. Manual clock; hooks in delegating providers and a gated clock
 * make every interleaving deterministic (no timed sleeps as assertions; the joins only bound how
 * long a deadlock is waited for).
 */
class RevocationReviewTest {
  private static final byte[] AAD = "Patient/1/1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);
  private static final Duration P = KeyAccessSettings.DEFAULT.probeInterval();
  private static final Duration G = KeyAccessSettings.DEFAULT.gracePeriod();

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider vault = InMemoryKeyProvider.builder().clock(clock).build();
  /** The vault as the services see it: faults are injected here. */
  private final FaultInjectingProvider faults = FaultInjectingProvider.wrapping(vault);

  // ------------------------------------------------------------------ 1. lock ordering

  /**
   * The loader of the data-key cache runs the guard ({@code Access.unwrap -> ensureAvailable}); when
   * the confirmation goes stale between {@code checkReadable} and the loader, the probe runs inside
   * Caffeine's compute, trips, and {@code publish} purges ({@code WriteDataKeys.invalidate}, then
   * {@code DecryptionKeyCache.invalidateAll}) while the compute still holds its hash bin. A data-key
   * roll holds {@code WriteDataKeys}' monitor and then seeds the cache ({@code put}) into that bin:
   * each thread waits for the other. The colliding provider makes all routing keys hash alike (as
   * any two keys sharing a bin of the cache's table would), so the interleaving is deterministic.
   */
  @Test
  void purgeOnTripInsideCacheLoader_concurrentDataKeyRoll_noDeadlock() throws Exception {
    KeyReference v1 = vault.manager().createKey("deadlock", 2048);
    CollidingProvider toy = new CollidingProvider(vault);
    EnvelopeCrypto service = EnvelopeCrypto.builder().provider(toy).writeKey(v1.versionless())
        .clock(clock).sleeper(clock::advance).dataKeyLimits(DataKeyLimits.singleUse()).build();
    byte[] foreign = EnvelopeCrypto.builder().provider(toy).writeKey(v1.versionless())
        .clock(clock).build().encrypt(DATA, AAD); // its data key is not in service's cache
    service.encrypt(DATA, AAD);

    CountDownLatch writerInWrap = new CountDownLatch(1);
    CountDownLatch readerInLoader = new CountDownLatch(1);
    toy.onWrap = () -> {
      writerInWrap.countDown();
      awaitQuietly(readerInLoader);
    };
    AtomicReference<Throwable> writerOutcome = new AtomicReference<>();
    Thread writer = daemon("writer", () -> service.encrypt(DATA, AAD), writerOutcome);
    writer.start();
    assertTrue(writerInWrap.await(10, TimeUnit.SECONDS), "the writer rolls a data key");

    vault.manager().setEnabled(v1, false);
    toy.onServesInLoader = () -> {
      clock.advance(P); // the confirmation goes stale right between checkReadable and the loader
      readerInLoader.countDown();
    };
    AtomicReference<Throwable> readerOutcome = new AtomicReference<>();
    Thread reader = daemon("reader", () -> service.decrypt(foreign, AAD), readerOutcome);
    reader.start();

    writer.join(10_000);
    reader.join(10_000);
    assertFalse(writer.isAlive() || reader.isAlive(), () -> "deadlock:\n--- writer\n"
        + trace(writer) + "\n--- reader\n" + trace(reader));
    assertInstanceOf(KeyAccessSuspendedException.class, readerOutcome.get());
  }

  // ------------------------------------------------------------------ 2. forged envelopes

  /**
   * Issue #10 item 3: only a denial that concerns the configured key, confirmed by re-checking it,
   * trips the guard. {@code readFailed} trips at once on any authoritative unwrap failure of an
   * envelope naming the current write version. But the header, not the key, chooses the wrap
   * algorithm, and the PKCS#11 provider classifies {@code CKR_MECHANISM_INVALID} / {@code
   * CKR_MECHANISM_PARAM_INVALID} (a token or key template that does not allow OAEP-SHA-1, or raw RSA
   * for the software-OAEP fallback) as {@code OPERATION_NOT_PERMITTED}. One forged envelope then
   * suspends the service (HTTP 500 for everyone) and purges every data key; repeated every few
   * seconds, it keeps it down.
   */
  @Test
  void forgedHeaderNamingTheCurrentVersionWithARefusedAlgorithm_failsThatRequestOnly() {
    KeyReference v1 = vault.manager().createKey("hsm-key", 2048);
    HsmLikeProvider hsm = new HsmLikeProvider(vault, false);
    EnvelopeCrypto service = EnvelopeCrypto.builder().provider(hsm).writeKey(v1.versionless())
        .clock(clock).sleeper(clock::advance).build();
    byte[] mine = service.encrypt(DATA, AAD);
    byte[] forged = EnvelopeCrypto.builder().provider(new HsmLikeProvider(vault, true))
        .writeKey(v1).clock(clock).build().encrypt(DATA, AAD); // names v1 with RSA-OAEP (SHA-1)

    Throwable refused = null;
    try {
      service.decrypt(forged, AAD);
    } catch (RuntimeException e) {
      refused = e;
    }
    assertNotNull(refused, "the token refuses the algorithm the forged header asks for");
    assertEquals(KeyAccessState.AVAILABLE, service.keyAccess().status().state(),
        "the configured key is fine (a describe says so): the guard must not trip; got "
            + service.keyAccess().status());
    assertArrayEquals(DATA, service.decrypt(mine, AAD));
  }

  // ------------------------------------------------------------------ 2b. throttling

  /**
   * README: "a revoked key is refused ≤ t + P + T" under throttling. {@code Access.unwrap} calls
   * {@code clearTransient()} after a successful unwrap of <em>any</em> version, which restarts the
   * configured key's transient streak. The customer disables the current version V2 (the portal's
   * "disable" acts on a version; older versions stay enabled) while Key Vault throttles {@code get
   * key} with {@code Retry-After: 21600}; the service keeps reading V2 envelopes from its cache and,
   * once a minute, an uncached envelope of the still-enabled V1. Each V1 unwrap resets the streak,
   * so T is never reached and V2's cached data keys serve until the cache's max age (1 h).
   */
  @Test
  void currentVersionRevokedWhileThrottled_oldVersionUnwrapsSucceed_stillRefusedWithinPPlusT() {
    KeyReference v1 = vault.manager().createKey("throttled-mixed", 2048);
    List<byte[]> oldEnvelopes = new ArrayList<>();
    EnvelopeCrypto v1Writer = EnvelopeCrypto.builder().provider(vault).writeKey(v1).clock(clock)
        .dataKeyLimits(DataKeyLimits.singleUse()).build();
    for (int i = 0; i < 40; i++) {
      oldEnvelopes.add(v1Writer.encrypt(DATA, AAD)); // each with its own data key
    }
    EnvelopeCrypto service = EnvelopeCrypto.builder().provider(faults)
        .writeKey(v1.versionless()).clock(clock).sleeper(clock::advance).build();
    KeyReference v2 = vault.manager().rotateKey(v1.versionless());
    clock.advance(P);
    byte[] current = service.encrypt(DATA, AAD); // picks up V2; its data key is cached
    assertEquals(v2, service.keyAccess().status().currentVersion());

    vault.manager().setEnabled(v2, false);
    faults.setFault(Operation.DESCRIBE, Fault.transientFailure(Duration.ofHours(6)));
    Instant revoked = clock.instant();
    Duration bound = P.plus(KeyAccessSettings.DEFAULT.transientTripThreshold());
    int next = 0;
    Instant refused = null;
    for (int second = 0; second < 1800 && refused == null; second++) {
      if (second % 60 == 0 && next < oldEnvelopes.size()) {
        try {
          service.decrypt(oldEnvelopes.get(next++), AAD); // V1 is enabled: unwraps succeed
        } catch (RuntimeException suspendedAlready) {
          // fine: the guard tripped
        }
      }
      try {
        assertArrayEquals(DATA, service.decrypt(current, AAD));
      } catch (RuntimeException e) {
        refused = clock.instant();
      }
      clock.advance(Duration.ofSeconds(1));
    }
    assertNotNull(refused, "V2, disabled, still decrypted from the cache 30 minutes later");
    assertFalse(refused.isAfter(revoked.plus(bound)),
        "refused only " + Duration.between(revoked, refused) + " after the disable");
  }

  // ------------------------------------------------------------------ 3. strict writes

  /**
   * Strict writes: {@code confirmNow} runs {@code probe} before {@code expireGrace} and whatever the
   * state. A writer that passed {@code writeVersion} while available and reaches its data-key roll
   * later (here it is held between the two by a gated clock read; in production: blocked on
   * {@code WriteDataKeys}' monitor behind a hung wrap, or a long pause) finds the guard in
   * REFRESH_REQUIRED, and its probe heals it — without {@code refresh()} — and writes.
   */
  @Test
  void strictWrites_rollAfterRefreshRequired_doesNotHealTheGuard() throws Exception {
    KeyReference v1 = vault.manager().createKey("strict", 2048);
    GatedClock gated = new GatedClock(clock);
    EnvelopeCrypto service = EnvelopeCrypto.builder().provider(vault).writeKey(v1.versionless())
        .clock(gated).sleeper(clock::advance)
        .keyAccess(KeyAccessSettings.DEFAULT.withStrictWrites(true))
        .dataKeyLimits(DataKeyLimits.singleUse()).build();
    service.encrypt(DATA, AAD); // the current data key is used up: the next write rolls

    AtomicReference<Throwable> writerOutcome = new AtomicReference<>();
    Thread writer = daemon("writer", () -> service.encrypt(DATA, AAD), writerOutcome);
    gated.gate(writer);
    writer.start();
    assertTrue(gated.atGate.await(10, TimeUnit.SECONDS), "writer passed writeVersion");

    vault.manager().setEnabled(v1, false);
    clock.advance(P);
    service.keyAccess().probeIfDue();
    assertEquals(KeyAccessState.UNAVAILABLE, service.keyAccess().status().state());
    clock.advance(G.plusSeconds(5)); // nothing exercised the guard at the deadline
    assertEquals(KeyAccessState.REFRESH_REQUIRED, service.keyAccess().status().state());
    vault.manager().setEnabled(v1, true);

    gated.release.countDown();
    writer.join(10_000);
    assertFalse(writer.isAlive());
    assertEquals(KeyAccessState.REFRESH_REQUIRED, service.keyAccess().status().state(),
        "only refresh() leaves REFRESH_REQUIRED");
    assertInstanceOf(KeyAccessSuspendedException.class, writerOutcome.get(),
        "no write while a refresh is required");
  }

  // ------------------------------------------------------------------ 4. the 30-minute edge

  /**
   * README: "access lost longer than Y = G + P always needs refresh()" and "first refusal ≤ t + P",
   * "with a request every second". A request every second whose phase is not aligned with the
   * confirmation (here half a second after it) detects at t + P + 0.5 s and runs the deadline probe
   * at D + G = t + G + P + 0.5 s: access restored at t + G + P + 0.25 s — lost longer than Y —
   * heals by itself. Y is G + P + (up to) the request spacing, and detection t + P + that spacing.
   */
  @Test
  void requestsEverySecondOutOfPhase_restoredAfterY_stillNeedsRefresh() {
    KeyReference v1 = vault.manager().createKey("phase", 2048);
    EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(vault).writeKey(v1.versionless())
        .clock(clock).sleeper(clock::advance).build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    Instant t = clock.instant(); // confirmed at t, disabled at t
    assertEquals(t, crypto.keyAccess().status().lastConfirmed());
    vault.manager().setEnabled(v1, false);
    Instant restore = t.plus(G).plus(P).plusMillis(250);
    clock.advance(Duration.ofMillis(500));
    Instant firstRefusal = null;
    boolean ok = false;
    while (clock.instant().isBefore(restore.plusSeconds(300))) {
      if (!clock.instant().isBefore(restore)) {
        vault.manager().setEnabled(v1, true);
      }
      try {
        ok = Arrays.equals(DATA, crypto.decrypt(envelope, AAD));
      } catch (KeyAccessSuspendedException e) {
        ok = false;
        if (firstRefusal == null) {
          firstRefusal = clock.instant();
        }
      }
      clock.advance(Duration.ofSeconds(1));
    }
    assertNotNull(firstRefusal);
    assertFalse(ok || crypto.keyAccess().status().state() == KeyAccessState.AVAILABLE,
        "restored " + Duration.between(t, restore) + " after the disable (Y = "
            + G.plus(P) + "), first refusal " + Duration.between(t, firstRefusal)
            + " after it: healed without refresh()");
  }

  /**
   * README X: "access back within X = G of the loss always recovers by itself". The key is
   * disabled 59 s after the last confirmation (so the loss is found 1 s later, at D) and
   * re-enabled 5 s before t + G, after the last 30-s backoff probe; the vault then answers 503 for
   * a few seconds around the deadline D + G. The deadline probe fails transiently; it is retried
   * (every probeBackoffMin, for up to probeBackoffMax after the deadline), so the guard recovers.
   * (The lead's answer: X holds unless the vault fails transiently for the whole 30 s after the
   * deadline; a 20-call blip, as first written here, outlasted that window.)
   */
  @Test
  void restoredWithinX_vaultBlipsAtTheDeadline_stillRecoversByItself() {
    KeyReference v1 = vault.manager().createKey("blip", 2048);
    EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(faults).writeKey(v1.versionless())
        .clock(clock).sleeper(clock::advance).build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    // The confirmation is renewed at 59 s (reconfirmAfter): disabling at 58 s is found at 59 s.
    for (int i = 0; i < 58; i++) {
      clock.advance(Duration.ofSeconds(1));
      crypto.decrypt(envelope, AAD);
    }
    vault.manager().setEnabled(v1, false);
    Instant t = clock.instant();
    Instant restore = t.plus(G).minusSeconds(5);
    Instant found = null;
    boolean blipped = false;
    for (int second = 0; second < 2400; second++) {
      clock.advance(Duration.ofSeconds(1));
      if (clock.instant().equals(restore)) {
        vault.manager().setEnabled(v1, true);
      }
      if (found != null && !blipped && !clock.instant().isBefore(found.plus(G).minusSeconds(2))) {
        faults.setFault(Operation.DESCRIBE, Fault.transientFailure()); // 503s for 12 seconds
        blipped = true;
      }
      if (blipped && !clock.instant().isBefore(found.plus(G).plusSeconds(10))) {
        faults.clearFault(Operation.DESCRIBE);
      }
      try {
        crypto.decrypt(envelope, AAD);
      } catch (KeyAccessSuspendedException e) {
        if (found == null) {
          found = crypto.keyAccess().status().since();
        }
      }
    }
    assertEquals(t.plusSeconds(1), found);
    assertTrue(blipped);
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state(),
        "restored " + Duration.between(t, restore) + " after the disable");
  }

  /**
   * README: "the identity loses permission (reads) | first refusal ≤ t + P". The guard's probe
   * while available is a {@code describe}; an identity that keeps {@code get} but loses {@code
   * unwrapKey} (role changed to Key Vault Reader, or a custom role without unwrap) is confirmed
   * every P, so cached data keys serve until the cache's max age (and, with Azure's local
   * public-key wrap, writes go on indefinitely).
   */
  @Test
  void identityLosesUnwrapButKeepsGet_cachedReadsRefusedWithinP() {
    KeyReference v1 = vault.manager().createKey("reader-role", 2048);
    EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(faults).writeKey(v1.versionless())
        .clock(clock).sleeper(clock::advance).build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    faults.setFault(Operation.UNWRAP,
        Fault.denied(KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED).onlyFor(v1.versionless()));
    Instant revoked = clock.instant();
    Instant refused = null;
    for (int second = 0; second < 600 && refused == null; second++) {
      try {
        crypto.decrypt(envelope, AAD);
      } catch (RuntimeException e) {
        refused = clock.instant();
      }
      clock.advance(Duration.ofSeconds(1));
    }
    assertNotNull(refused, "still decrypting from the cache 10 minutes after unwrap was revoked");
    assertFalse(refused.isAfter(revoked.plus(P)));
  }

  // ------------------------------------------------------------------ helpers

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean insideDataKeyCacheLoader() {
    return StackWalker.getInstance().walk(s -> s.anyMatch(f ->
        f.getClassName().equals("dev.cmk.core.internal.DecryptionKeyCache")
            && f.getMethodName().startsWith("lambda$dataKey")));
  }

  /**
   * Key state from an in-memory vault; a toy wrap whose wrapped bytes all end alike, so every
   * data-key cache entry of one key version has the same hash (they share a bin at any table size).
   */
  private static final class CollidingProvider extends ForwardingProvider {
    private static final byte[] SUFFIX = "COLLIDE!".getBytes(StandardCharsets.US_ASCII);
    private final InMemoryKeyProvider vault;
    private final SecureRandom random = new SecureRandom();
    volatile Runnable onWrap;
    volatile Runnable onServesInLoader;

    CollidingProvider(InMemoryKeyProvider vault) {
      super(vault);
      this.vault = vault;
    }

    @Override
    public String id() {
      return "toy";
    }

    @Override
    public boolean serves(KeyReference reference) {
      Runnable hook = onServesInLoader;
      if (hook != null && insideDataKeyCacheLoader()) {
        onServesInLoader = null;
        hook.run();
      }
      return vault.serves(reference);
    }

    private void requireEnabled(KeyReference reference) {
      if (!vault.describe(reference).enabled()) {
        throw new KeyAccessDeniedException("key version is disabled",
            KeyAccessDeniedException.Reason.KEY_DISABLED, reference);
      }
    }

    @Override
    public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
      requireEnabled(reference);
      byte[] key = dataKey.copy();
      byte[] out = new byte[key.length + 16 + SUFFIX.length];
      for (int i = 0; i < key.length; i++) {
        out[i] = (byte) (key[i] ^ 0x5A);
      }
      byte[] salt = new byte[16];
      random.nextBytes(salt);
      System.arraycopy(salt, 0, out, key.length, 16);
      System.arraycopy(SUFFIX, 0, out, key.length + 16, SUFFIX.length);
      Arrays.fill(key, (byte) 0);
      Runnable hook = onWrap;
      if (hook != null) {
        onWrap = null;
        hook.run();
      }
      return new WrappedKey(id(), reference, WrapAlgorithm.RSA_OAEP_256, out);
    }

    @Override
    public SecretBytes unwrap(WrappedKey wrappedKey) {
      requireEnabled(wrappedKey.keyReference());
      byte[] in = wrappedKey.ciphertext();
      byte[] key = new byte[32];
      for (int i = 0; i < key.length; i++) {
        key[i] = (byte) (in[i] ^ 0x5A);
      }
      return SecretBytes.wrapOwned(key);
    }
  }

  /**
   * A token-like provider over an in-memory vault: refuses RSA-OAEP (SHA-1) unwraps as the PKCS#11
   * provider classifies {@code CKR_MECHANISM_INVALID} ({@code OPERATION_NOT_PERMITTED}). With
   * {@code forger}, it labels its (RSA-OAEP-256) wraps as SHA-1, to make the forged header.
   */
  private static final class HsmLikeProvider extends ForwardingProvider {
    private final InMemoryKeyProvider vault;
    private final boolean forger;

    HsmLikeProvider(InMemoryKeyProvider vault, boolean forger) {
      super(vault);
      this.vault = vault;
      this.forger = forger;
    }

    @Override
    public String id() {
      return "hsm";
    }

    @Override
    public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
      WrappedKey w = vault.wrap(reference, dataKey);
      return new WrappedKey(id(), reference,
          forger ? WrapAlgorithm.RSA_OAEP_SHA1 : WrapAlgorithm.RSA_OAEP_256, w.ciphertext());
    }

    @Override
    public SecretBytes unwrap(WrappedKey w) {
      if (!forger && w.algorithm() == WrapAlgorithm.RSA_OAEP_SHA1) {
        throw new KeyAccessDeniedException("unwrap failed: CKR_MECHANISM_INVALID",
            KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED, w.keyReference());
      }
      return vault.unwrap(new WrappedKey(vault.id(), w.keyReference(),
          WrapAlgorithm.RSA_OAEP_256, w.ciphertext()));
    }
  }

  /** A clock that holds one thread at its read in {@code WriteDataKeys.acquire}. */
  private static final class GatedClock extends Clock {
    private final Clock base;
    private volatile Thread gated;
    final CountDownLatch atGate = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    GatedClock(Clock base) {
      this.base = base;
    }

    void gate(Thread t) {
      gated = t;
    }

    @Override
    public Instant instant() {
      if (Thread.currentThread() == gated && calledFromAcquire()) {
        gated = null;
        atGate.countDown();
        awaitQuietly(release);
      }
      return base.instant();
    }

    private static boolean calledFromAcquire() {
      return StackWalker.getInstance().walk(s -> s.limit(4).anyMatch(f ->
          f.getClassName().equals("dev.cmk.core.internal.WriteDataKeys")
              && f.getMethodName().equals("acquire")));
    }

    @Override
    public ZoneId getZone() {
      return base.getZone();
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }
}
