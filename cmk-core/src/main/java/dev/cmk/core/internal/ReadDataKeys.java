package dev.cmk.core.internal;

import dev.cmk.api.KeyProviderException;
import dev.cmk.api.WrappedKey;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The read side's data keys: finds the data key of an envelope header in the cache, or unwraps it
 * through {@link KeyAccess} on a miss, and opens the envelope's {@link MessageCrypto}.
 *
 * <p>Every use asks {@link KeyAccess#checkReadable} first, so a cached key serves only while its
 * key-encryption key version may be used. A key destroyed meanwhile (eviction, or a purge on loss
 * of access) is forgotten and loaded again, which goes through the same check. Provider failures
 * of the unwrap are classified by {@link KeyAccess#unwrapFailed} outside the cache's lock.
 *
 * <p>Thread-safe.
 */
public final class ReadDataKeys {
  private static final int ATTEMPTS = 4;

  private final KeyAccess access;
  private final DecryptionKeyCache cache;
  private final Providers providers;

  public ReadDataKeys(KeyAccess access, DecryptionKeyCache cache, Providers providers) {
    this.access = access;
    this.cache = cache;
    this.providers = providers;
  }

  /**
   * Verifies the header's commitment under its data key and returns the envelope's crypto; the
   * header's key version is then recorded as seen (only authenticated headers count).
   *
   * @throws dev.cmk.api.InvalidCiphertextException if the header does not verify
   * @throws dev.cmk.api.CmkException if the data key may not be used or cannot be unwrapped
   */
  public MessageCrypto open(EnvelopeHeader header, byte[] associatedData) {
    return withDataKey(header, dataKey -> {
      MessageCrypto crypto = MessageCrypto.open(dataKey, header, associatedData);
      access.recordSeen(header.keyReferenceText());
      return crypto;
    });
  }

  /** The header's wrapped key, or null when no configured provider serves it. */
  private @Nullable WrappedKey wrappedKeyOrNull(EnvelopeHeader header) {
    try {
      return providers.wrappedKeyOf(header);
    } catch (RuntimeException notServed) {
      return null;
    }
  }

  /**
   * Runs {@code use} with the data key of {@code header}. {@code use} signals a key destroyed
   * meanwhile with {@link IllegalStateException}; the key is then loaded again (a few times).
   */
  public <T> T withDataKey(EnvelopeHeader header, Function<DataKey, T> use) {
    KeyVersionId version = KeyVersionId.of(header);
    for (int attempt = 1; ; attempt++) {
      access.checkReadable(version);
      DataKey dataKey;
      try {
        dataKey = cache.dataKey(header, () -> access.unwrap(providers.wrappedKeyOf(header)));
      } catch (KeyProviderException e) {
        WrappedKey wrapped = wrappedKeyOrNull(header);
        if (wrapped == null) {
          throw e; // not served here, or retired: nothing was asked of any provider
        }
        throw access.unwrapFailed(wrapped, e);
      }
      try {
        return use.apply(dataKey);
      } catch (IllegalStateException destroyedMeanwhile) {
        cache.forget(header, dataKey);
        if (attempt >= ATTEMPTS) {
          throw destroyedMeanwhile;
        }
      }
    }
  }
}
