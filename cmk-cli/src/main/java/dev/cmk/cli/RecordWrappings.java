package dev.cmk.cli;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.StoredDataKey;
import java.security.PublicKey;
import java.util.Optional;

/**
 * The allow-list rule for format 2: a v2 header names a data-key record, and the record's
 * wrappings name the keys. Before any provider is built, the record is read from the store the
 * user named and its wrappings are checked against the {@link KeyAllowList}; only the first
 * allowed one gets a provider (and the Azure provider serves only allowed vaults, so the engine
 * could not pick a wrapping outside the list either).
 */
final class RecordWrappings {
  /** Id of {@link #noKeys()}. */
  static final String NO_KEYS_ID = "cmk-no-keys";

  private RecordWrappings() {}

  /**
   * The key of record {@code id}'s first wrapping that the user allows: the only one a provider
   * is built for (the engine then unwraps that wrapping, and tries no other if it fails, as a
   * service would).
   *
   * @throws CliException (key access) if the store has no such record, or no wrapping is allowed
   *     (naming the primary's vault or token and the fix; nothing was contacted)
   * @throws InvalidCiphertextException if the stored record is malformed
   * @throws dev.cmk.core.datakey.DataKeyStoreUnavailableException if the store cannot answer
   */
  static KeyReference firstAllowed(DataKeyStore store, String storeName, DataKeyId id,
      KeyAllowList allowList) {
    Optional<StoredDataKey> stored;
    try {
      stored = store.read(id);
    } catch (IllegalArgumentException malformed) {
      throw new InvalidCiphertextException();
    }
    if (stored.isEmpty()) {
      throw new CliException(ExitCode.KEY_ACCESS, "no data-key record " + id + " in the data-key"
          + " store " + storeName + " (is it the store the envelope was written with?)");
    }
    DataKeyRecord record = stored.get().record();
    for (WrappedKey w : record.wrappings()) {
      if (allowList.allows(w.keyReference())) {
        return w.keyReference();
      }
    }
    throw new CliException(ExitCode.KEY_ACCESS, "data-key record " + id + ": "
        + allowList.refusal(record.primary().keyReference())
        + (record.wrappings().size() > 1 ? " (none of its " + record.wrappings().size()
            + " wrappings is under an allowed vault or token)" : ""));
  }

  /**
   * A provider that serves no key, for the record commands that use none ({@code records census},
   * {@code records remove-wrappings}): {@code EnvelopeCrypto} requires a provider, and this one
   * guarantees that nothing is contacted.
   */
  static KeyEncryptionKeyProvider noKeys() {
    return new KeyEncryptionKeyProvider() {
      @Override
      public String id() {
        return NO_KEYS_ID;
      }

      @Override
      public boolean serves(KeyReference reference) {
        return false;
      }

      @Override
      public KeyDescription describe(KeyReference reference) {
        throw new KeyNotFoundException("this command uses no key", reference);
      }

      @Override
      public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
        throw new KeyNotFoundException("this command uses no key", reference);
      }

      @Override
      public SecretBytes unwrap(WrappedKey wrappedKey) {
        throw new KeyNotFoundException("this command uses no key", wrappedKey.keyReference());
      }

      @Override
      public Optional<PublicKey> publicKey(KeyReference reference) {
        return Optional.empty();
      }
    };
  }
}
