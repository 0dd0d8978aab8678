package dev.cmk.benchmarks;

import java.util.Arrays;

/**
 * The check a benchmark's set-up makes before anything is measured: every side must decrypt its
 * messages back to the plaintext, since a benchmark of a broken path would be worthless.
 */
public final class SetUpCheck {
  private SetUpCheck() {}

  /**
   * Checks one round trip.
   *
   * @param decrypted what a side decrypted
   * @param plaintext what it encrypted
   * @throws IllegalStateException when the two differ
   */
  public static void roundTrip(byte[] decrypted, byte[] plaintext) {
    if (!Arrays.equals(decrypted, plaintext)) {
      throw new IllegalStateException("set-up round trip failed");
    }
  }
}
