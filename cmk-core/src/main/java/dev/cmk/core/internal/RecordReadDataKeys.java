package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.StoredDataKey;
import java.util.Optional;

/**
 * The format 2 read side: finds the data key a v2 header names in the decryption cache, or reads
 * its record from the store and unwraps it on a miss, and opens the envelope's {@link
 * MessageCrypto}.
 *
 * <p>Of a record's wrappings, the first one under a key version a configured provider serves (and
 * that is not retired) is unwrapped — normally the primary; no other wrapping is tried when that
 * unwrap fails, so a customer who revokes the key an instance reads with stops its reads even if
 * the record also carries a wrapping under another key. The unwrapped key must give the header's
 * record id ({@code HMAC-SHA256(DK, "cmk/v2/data-key-id")}); a record whose wrapping holds another
 * key (a tampered or forged store entry) is refused as an invalid ciphertext and never cached.
 *
 * <p>Every use asks {@link KeyAccess#checkReadable} with the key version the record was unwrapped
 * under, on a hit as on a miss, so a cached key serves only while that version may be used.
 * Thread-safe.
 */
public final class RecordReadDataKeys {
  private static final int ATTEMPTS = 4;

  private final KeyAccess access;
  private final DecryptionKeyCache cache;
  private final Providers providers;
  private final Records records;

  public RecordReadDataKeys(KeyAccess access, DecryptionKeyCache cache, Providers providers,
      Records records) {
    this.access = access;
    this.cache = cache;
    this.providers = providers;
    this.records = records;
  }

  /**
   * The crypto of the envelope with this header, its data key found or loaded.
   *
   * @throws InvalidCiphertextException if the record's data key does not match the header's id,
   *     or the stored record is malformed
   * @throws KeyNotFoundException if the store has no such record, or none of its wrappings is
   *     under a key this instance reads with
   * @throws dev.cmk.core.datakey.DataKeyStoreUnavailableException if the record is not cached and
   *     the store cannot answer
   * @throws dev.cmk.api.CmkException if the key version may not be used or the unwrap fails
   */
  public MessageCrypto open(CompactHeader header, byte[] associatedData) {
    byte[] id = header.dataKeyIdBytes();
    for (int attempt = 1; ; attempt++) {
      DataKey dataKey = cachedOrLoaded(id);
      try {
        access.checkReadable(dataKey.source());
        MessageCrypto crypto =
            MessageCrypto.compact(dataKey, header, associatedData, dataKey.source());
        access.recordSeen(dataKey.source().reference());
        return crypto;
      } catch (IllegalStateException destroyedMeanwhile) {
        cache.forgetRecordKey(id, dataKey);
        if (attempt >= ATTEMPTS) {
          throw destroyedMeanwhile;
        }
      }
    }
  }

  /**
   * The data key of record {@code id} (cached or loaded), for re-wrapping it.
   *
   * @throws IllegalStateException never for a destroyed key: a destroyed one is loaded again
   */
  DataKey dataKey(byte[] id) {
    for (int attempt = 1; ; attempt++) {
      DataKey key = cachedOrLoaded(id);
      access.checkReadable(key.source());
      if (!key.isDestroyed() || attempt >= ATTEMPTS) {
        return key;
      }
      cache.forgetRecordKey(id, key);
    }
  }

  /**
   * Whether {@code wrapping} unwraps (through the guard's access) to the data key of record {@code
   * id}. The key is destroyed again; nothing is cached.
   */
  boolean opens(byte[] id, WrappedKey wrapping) {
    access.checkReadable(KeyVersionId.of(wrapping));
    DataKey key;
    try {
      key = unwrapChecked(access, id, wrapping);
    } catch (KeyProviderException e) {
      throw access.unwrapFailed(wrapping, e);
    } catch (InvalidCiphertextException notOfThisRecord) {
      return false;
    }
    key.destroy();
    return true;
  }

  /**
   * The cached data key of record {@code id}, or loaded (single flight). As in format 1, the
   * loss-of-access guard and the store are asked <em>before</em> the cache: the guard may trip and
   * purge (which takes the writer's lock), and a slow store must not hold the cache's bin, where a
   * writer may be seeding a new key. Only the unwrap and the id check run inside the loader; a
   * provider failure is classified outside the cache's lock.
   */
  private DataKey cachedOrLoaded(byte[] id) {
    DataKey cached = cache.recordKeyIfPresent(id);
    if (cached != null) {
      return cached;
    }
    WrappedKey wrapping = wrappingToUse(id);
    KeyVersionId version = KeyVersionId.of(wrapping);
    access.checkReadable(version);
    try {
      return cache.recordKey(id, () -> unwrapChecked(access, id, wrapping));
    } catch (KeyProviderException e) {
      throw access.unwrapFailed(wrapping, e);
    }
  }

  /** The record's first wrapping under a version a configured provider serves. */
  private WrappedKey wrappingToUse(byte[] id) {
    DataKeyId name = DataKeyId.of(id);
    Optional<StoredDataKey> stored;
    try {
      stored = records.read(name);
    } catch (IllegalArgumentException malformed) {
      throw new InvalidCiphertextException();
    }
    if (stored.isEmpty()) {
      throw new KeyNotFoundException(
          "no data-key record " + name + " in the configured data-key store", null);
    }
    DataKeyRecord record = stored.get().record();
    if (!record.id().equals(name)) {
      throw new InvalidCiphertextException(); // a store that answers with another record
    }
    for (WrappedKey w : record.wrappings()) {
      if (providers.servesReadable(w.providerId(), w.keyReference())) {
        return w;
      }
    }
    throw new KeyNotFoundException("data-key record " + name
        + " has no wrapping under a key this instance reads with", record.primary().keyReference());
  }

  /**
   * Unwraps {@code wrapping} and checks that the key gives record id {@code id}; the one place
   * a record's data key is admitted (reads, re-wrap checks, writers joining a record).
   *
   * @throws InvalidCiphertextException if it is not 32 bytes or not this record's key (destroyed)
   * @throws KeyProviderException unclassified, from the provider
   */
  static DataKey unwrapChecked(KeyAccess access, byte[] id, WrappedKey wrapping) {
    SecretBytes secret = access.unwrap(wrapping);
    if (secret.length() != DataKey.LENGTH) {
      secret.destroy();
      throw new InvalidCiphertextException();
    }
    DataKey key = DataKey.of(secret, KeyVersionId.of(wrapping));
    if (!key.hasRecordId(id)) {
      key.destroy();
      throw new InvalidCiphertextException();
    }
    return key;
  }
}
