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

  /** Wraps a new data key under {@code version}. */
  WrappedKey wrap(KeyReference version, SecretBytes dataKey);

  /** Unwraps a data key read from an envelope header. */
  SecretBytes unwrap(WrappedKey wrappedKey);

  /**
   * Called before a cached data key serves a read, and before every segment an open decrypting
   * stream or range reader decrypts; may refuse (guard open).
   */
  default void checkReadable() {}

  /**
   * Called before every segment an open encrypting stream encrypts: refuses, like a new write
   * would, once access is lost or the key's enabled state is no longer confirmed.
   */
  default void checkWritable() {}

  /** Called after an envelope's header authenticated, with its key reference text. */
  default void recordSeen(String keyReference) {}
}
