package dev.cmk.core;

import dev.cmk.core.internal.DecryptionKeyCache;
import dev.cmk.core.internal.EnvelopeWriter;

/**
 * What an {@link EnvelopeCrypto} holds, for operators and tests: how many data keys are cached
 * and were made, which key versions its envelopes reference, and an explicit purge of the cached
 * plaintext data keys. Obtained from {@link EnvelopeCrypto#diagnostics()}.
 *
 * <p><b>Security guarantees:</b> nothing here exposes key material; counts and key references
 * only.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; counts are snapshots.
 */
public final class Diagnostics {
  private final DecryptionKeyCache decryptCache;
  private final EnvelopeWriter writeKeys;
  private final KeyVersionInventory inventory;
  private final int segmentSize;

  Diagnostics(DecryptionKeyCache decryptCache, EnvelopeWriter writeKeys,
      KeyVersionInventory inventory, int segmentSize) {
    this.decryptCache = decryptCache;
    this.writeKeys = writeKeys;
    this.inventory = inventory;
    this.segmentSize = segmentSize;
  }

  /** {@return number of unwrapped data keys currently cached on the read side} */
  public long cachedDataKeys() {
    return decryptCache.size();
  }

  /** {@return number of data keys this instance made (and wrapped) so far} */
  public long dataKeysCreated() {
    return writeKeys.dataKeysCreated();
  }

  /**
   * Destroys every cached plaintext data key, on both the encrypt and the decrypt side; the next
   * operations unwrap (or make) keys again. The guard does this by itself on an authoritative loss
   * of access.
   */
  public void purgeDataKeys() {
    writeKeys.invalidate();
    decryptCache.invalidateAll();
  }

  /** {@return which key versions the envelopes handled here reference} */
  public KeyVersionInventory inventory() {
    return inventory;
  }

  /** {@return plaintext bytes per segment of new envelopes} */
  public int segmentSize() {
    return segmentSize;
  }

  @Override
  public String toString() {
    return "Diagnostics[cachedDataKeys=" + cachedDataKeys() + ", dataKeysCreated="
        + dataKeysCreated() + "]";
  }
}
