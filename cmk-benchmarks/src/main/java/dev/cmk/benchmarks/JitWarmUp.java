package dev.cmk.benchmarks;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * Gets the JDK's AES-GCM code compiled by C2, for the call sizes a benchmark uses, before JMH's
 * own warm-up starts.
 *
 * <p>HotSpot compiles a method after a number of <em>calls</em>, and the AES-CTR and GHASH
 * intrinsics only pay off once their callers are compiled. Measured on this machine with JDK 17:
 * {@code doFinal} of 1 MiB runs at 30&ndash;90 MB/s for its first ~600 calls and at several GB/s
 * afterwards, and calls of 1 MiB take another path through the JDK's GCM code than calls of 64
 * KiB, so small messages do not warm it up. JMH warm-up iterations of one second would measure
 * that transition instead of the steady state. Every benchmark's set-up therefore runs the JDK's
 * cipher at each size it is about to use — the same for cmk and the baseline, which both use that
 * cipher — and JMH's warm-up then covers the rest of the code.
 */
final class JitWarmUp {
  private static final int SMALL_ROUNDS = 20_000;
  private static final int SIZED_ROUNDS = 1_000;

  private JitWarmUp() {}

  /**
   * Encrypts and decrypts, with a throw-away key, {@value #SMALL_ROUNDS} messages of 1 KiB and
   * 16 KiB, then {@value #SIZED_ROUNDS} messages of each of {@code callSizes}.
   *
   * @param callSizes the sizes of the {@code doFinal} calls the benchmark makes
   */
  static void jdkGcm(int... callSizes) throws GeneralSecurityException {
    RawGcm gcm = new RawGcm(new SecureRandom());
    roundTrips(gcm, 1024, SMALL_ROUNDS);
    roundTrips(gcm, 16 * 1024, SMALL_ROUNDS);
    for (int size : callSizes) {
      roundTrips(gcm, size, SIZED_ROUNDS);
    }
  }

  private static void roundTrips(RawGcm gcm, int size, int rounds)
      throws GeneralSecurityException {
    byte[] plaintext = Fixtures.plaintext(size);
    long check = 0;
    for (int i = 0; i < rounds; i++) {
      check += gcm.open(gcm.seal(plaintext, Fixtures.AAD), Fixtures.AAD).length;
    }
    if (check != (long) rounds * size) {
      throw new IllegalStateException("warm-up round trip failed");
    }
  }
}
