package dev.cmk.core.internal;

import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;

/**
 * The engine's only way to reach key-encryption keys: which version new writes use, wrap and
 * unwrap. The loss-of-access guard implements this around the configured providers.
 */
public interface KeyAccess {

  /**
   * The key version new data keys are wrapped under, checked writable right now.
   *
   * @throws dev.cmk.api.CmkException if writes must be refused
   */
  KeyReference writeVersion();

  /**
   * The version a new data key is wrapped under, given the one {@link #writeVersion()} returned:
   * the same, or — in strict-writes mode — the version the provider confirmed just now.
   */
  default KeyReference versionForNewDataKey(KeyReference version) {
    return version;
  }

  /** Wraps a new data key under {@code version}. */
  WrappedKey wrap(KeyReference version, SecretBytes dataKey);

  /**
   * Unwraps a data key read from an envelope header. Runs inside the data-key cache's loader, so
   * a provider failure propagates unclassified; the caller passes it to {@link #unwrapFailed}
   * once outside the cache.
   */
  SecretBytes unwrap(WrappedKey wrappedKey);

  /**
   * Classifies a failed {@link #unwrap} of {@code wrappedKey} (called outside every cache lock;
   * {@code wrappedKey} is null when the header named no configured provider) and returns what the
   * caller should throw.
   */
  default RuntimeException unwrapFailed(WrappedKey wrappedKey, dev.cmk.api.KeyProviderException e) {
    return e;
  }

  /**
   * Called before a data key under {@code version} serves a read, and before every segment an
   * open decrypting stream or range reader decrypts: refuses while the configured key is not
   * accessible, and while {@code version} is known unusable or could not be re-confirmed in time.
   *
   * @throws dev.cmk.api.CmkException if the read must be refused
   */
  default void checkReadable(KeyVersionId version) {}

  /**
   * Called before every segment an open encrypting stream encrypts: refuses, like a new write
   * would, once access is lost or the key's enabled state is no longer confirmed.
   */
  default void checkWritable() {}

  /** Called after an envelope's header authenticated, with its key reference text. */
  default void recordSeen(String keyReference) {}

  /** Called after an envelope under {@code keyReference} was re-wrapped to the write version. */
  default void recordRewrapped(String keyReference) {}
}
