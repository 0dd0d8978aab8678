package dev.cmk.testkit;

import static dev.cmk.testkit.ContractKeys.ownKey;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The loss-of-access contract: cmk-core's key-access guard driven by a real provider, end to end.
 * A key is disabled in the backend; the first request after the probe interval trips the guard,
 * and every request fails fast with {@link KeyAccessSuspendedException}; the key enabled again
 * within the grace window recovers by itself, enabled after it only through a refresh.
 *
 * <p>cmk-testkit does not depend on cmk-core, so the test class adapts cmk-core's {@code
 * EnvelopeCrypto} to {@link GuardedEnvelopes}, built with the given {@link ManualClock} (as its
 * clock and retry sleeper, and as the clock of the provider it builds for it, so that no
 * provider-side cache outlives what the manual clock says) and the default guard settings: a probe
 * every {@link #PROBE_INTERVAL}, a {@link #GRACE_PERIOD} grace window.
 *
 * <pre>{@code
 * class MyLossOfAccessIT implements LossOfAccessContract {
 *   public ContractSubject subject() { return ContractSubject.of(PROVIDER); }
 *
 *   public GuardedEnvelopes guarded(KeyReference key, ManualClock clock) {
 *     MyProvider provider = MyProvider.builder()...clock(clock).build();
 *     EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(provider)
 *         .writeKey(key.versionless()).clock(clock).sleeper(clock::advance).build();
 *     return GuardedEnvelopes.of(crypto::encrypt, crypto::decrypt,
 *         () -> crypto.keyAccess().refresh(), () -> { crypto.close(); provider.close(); });
 *   }
 * }
 * }</pre>
 */
// JUnit is a static dependency of this module: whoever runs the contract has it on the path.
@SuppressWarnings("exports")
public interface LossOfAccessContract {
  /** The guard's default probe interval, which the contract assumes. */
  Duration PROBE_INTERVAL = Duration.ofMinutes(1);

  /** The guard's default grace window, which the contract assumes. */
  Duration GRACE_PERIOD = Duration.ofMinutes(30);

  /**
   * The backend: creates keys, and disables and enables them behind the guarded instance's back.
   *
   * @return the subject
   */
  ContractSubject subject();

  /**
   * A guarded envelope service writing under the latest version of {@code key}, on {@code clock}.
   *
   * @param key the key to write under (versioned; the service resolves its latest version)
   * @param clock the clock of the guard, its retry waits and the provider
   * @return the service; the contract closes it
   */
  GuardedEnvelopes guarded(KeyReference key, ManualClock clock);

  /** The part of cmk-core's {@code EnvelopeCrypto} the contract uses. */
  interface GuardedEnvelopes extends AutoCloseable {
    /**
     * Encrypts.
     *
     * @param plaintext the plaintext
     * @param associatedData bound to the envelope
     * @return the envelope
     */
    byte[] encrypt(byte[] plaintext, byte[] associatedData);

    /**
     * Decrypts.
     *
     * @param envelope the envelope
     * @param associatedData what it was bound to
     * @return the plaintext
     */
    byte[] decrypt(byte[] envelope, byte[] associatedData);

    /** Re-checks key access now ({@code keyAccess().refresh()}). */
    void refresh();

    @Override
    void close();

    /**
     * Adapts four method references.
     *
     * @param encrypt {@code EnvelopeCrypto::encrypt}
     * @param decrypt {@code EnvelopeCrypto::decrypt}
     * @param refresh calls {@code keyAccess().refresh()}
     * @param close closes the instance and what was built for it
     * @return the adapter
     */
    static GuardedEnvelopes of(
        java.util.function.BinaryOperator<byte[]> encrypt,
        java.util.function.BinaryOperator<byte[]> decrypt,
        Runnable refresh,
        Runnable close) {
      return new GuardedEnvelopes() {
        @Override
        public byte[] encrypt(byte[] plaintext, byte[] associatedData) {
          return encrypt.apply(plaintext, associatedData);
        }

        @Override
        public byte[] decrypt(byte[] envelope, byte[] associatedData) {
          return decrypt.apply(envelope, associatedData);
        }

        @Override
        public void refresh() {
          refresh.run();
        }

        @Override
        public void close() {
          close.run();
        }
      };
    }
  }

  /** Disabled, re-enabled 20 minutes later: the guard recovers by itself at its next probe. */
  @Test
  default void keyDisabled_reEnabledWithinGrace_failsFastThenSelfHeals() {
    ManualClock clock = ManualClock.startingAt(Instant.now());
    KeyReference key = ownKey(subject(), "loss-heal");
    try (GuardedEnvelopes guarded = guarded(key, clock)) {
      byte[] envelope = guarded.encrypt(LossOfAccessSteps.DATA, LossOfAccessSteps.AAD);
      Instant lostAt = LossOfAccessSteps.disableAndTrip(subject(), guarded, clock, key, envelope);

      clock.set(lostAt.plus(Duration.ofMinutes(20)));
      subject().setEnabled(key, true);
      assertArrayEquals(LossOfAccessSteps.DATA, LossOfAccessSteps.decryptOnceProbed(guarded, clock, envelope));
      byte[] fresh = guarded.encrypt(LossOfAccessSteps.DATA, LossOfAccessSteps.AAD);
      assertArrayEquals(LossOfAccessSteps.DATA, guarded.decrypt(fresh, LossOfAccessSteps.AAD));
    }
  }

  /** Disabled, re-enabled 40 minutes later: suspended until a refresh, then everything decrypts. */
  @Test
  default void keyDisabled_reEnabledAfterGrace_staysSuspendedUntilRefresh() {
    ManualClock clock = ManualClock.startingAt(Instant.now());
    KeyReference key = ownKey(subject(), "loss-refresh");
    try (GuardedEnvelopes guarded = guarded(key, clock)) {
      byte[] envelope = guarded.encrypt(LossOfAccessSteps.DATA, LossOfAccessSteps.AAD);
      Instant lostAt = LossOfAccessSteps.disableAndTrip(subject(), guarded, clock, key, envelope);

      clock.set(lostAt.plus(GRACE_PERIOD).plus(Duration.ofMinutes(10)));
      subject().setEnabled(key, true);
      for (int i = 0; i < 5; i++) {
        KeyAccessSuspendedException locked =
            assertThrows(
                KeyAccessSuspendedException.class, () -> guarded.decrypt(envelope, LossOfAccessSteps.AAD));
        assertTrue(locked.refreshRequired(), "access came back after the grace window");
        clock.advance(PROBE_INTERVAL);
      }
      guarded.refresh();
      assertArrayEquals(LossOfAccessSteps.DATA, guarded.decrypt(envelope, LossOfAccessSteps.AAD));
      byte[] fresh = guarded.encrypt(LossOfAccessSteps.DATA, LossOfAccessSteps.AAD);
      assertArrayEquals(LossOfAccessSteps.DATA, guarded.decrypt(fresh, LossOfAccessSteps.AAD));
    }
  }
}
