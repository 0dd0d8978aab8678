package dev.cmk.core;

/** What a call to a key-encryption-key provider did, as reported to a {@link CryptoObserver}. */
public enum KekOperation {
  /** {@link dev.cmk.api.spi.KeyEncryptionKeyProvider#wrap}: a new data key, or a re-wrap. */
  WRAP,
  /** {@link dev.cmk.api.spi.KeyEncryptionKeyProvider#unwrap}: a data-key cache miss or a probe. */
  UNWRAP,
  /** {@link dev.cmk.api.spi.KeyEncryptionKeyProvider#describe}: a probe of the key's state. */
  DESCRIBE
}
