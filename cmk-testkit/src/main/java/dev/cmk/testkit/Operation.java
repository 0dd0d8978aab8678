package dev.cmk.testkit;

/**
 * A call of the {@link dev.cmk.api.spi.KeyEncryptionKeyProvider} SPI that the testkit counts, delays
 * and can make fail (see {@link FaultControls}).
 */
public enum Operation {
  /** {@code describe} and {@code resolveLatest}. */
  DESCRIBE,
  /** {@code wrap}. */
  WRAP,
  /** {@code unwrap}. */
  UNWRAP,
  /** {@code publicKey}. */
  PUBLIC_KEY
}
