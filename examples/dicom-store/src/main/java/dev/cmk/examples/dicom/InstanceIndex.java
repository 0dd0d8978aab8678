package dev.cmk.examples.dicom;

import dev.cmk.api.InvalidCiphertextException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The search index QIDO-RS answers from: the top-level attributes of every instance that has a
 * metadata envelope, held in memory only, rebuilt at start (or at the first search after the key
 * became accessible) by decrypting those envelopes. Nothing of it is written to disk unencrypted.
 *
 * <p><b>Security guarantees:</b> the index is answered from only after {@link #proveAccess()}
 * has decrypted a stored metadata envelope for this request, so while the customer-managed key is
 * not accessible every search fails like every other read (HTTP 500), although the index is in
 * memory. A store with no instance holds nothing to protect and answers without the key.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (all methods synchronized; searches copy).
 */
final class InstanceIndex {
  private static final Logger LOG = LoggerFactory.getLogger(InstanceIndex.class);
  private final InstanceStore store;
  private final InstanceMetadata metadata;
  private final TreeMap<InstanceKey, List<DicomElement>> entries =
      new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
  private boolean loaded;

  InstanceIndex(InstanceStore store) {
    this.store = store;
    this.metadata = new InstanceMetadata(store);
  }

  /**
   * Loads the index from the metadata envelopes unless already loaded.
   *
   * @throws IOException if the files cannot be read
   * @throws dev.cmk.api.KeyAccessSuspendedException if the key is not accessible (nothing loaded)
   * @throws dev.cmk.api.KeyProviderException if a data key cannot be unwrapped
   */
  synchronized void ensureLoaded() throws IOException {
    if (loaded) {
      return;
    }
    Map<InstanceKey, List<DicomElement>> found = new TreeMap<>(entries.comparator());
    int damaged = 0;
    for (InstanceKey key : metadata.keys()) {
      try {
        metadata.current(key).ifPresent(p -> found.put(key, p.dataset()));
      } catch (InvalidCiphertextException e) {
        damaged++; // a damaged envelope is left out of searches; reading it answers 500
      }
    }
    if (damaged > 0) {
      LOG.atError().setMessage("dicom.index-metadata-failed-authentication")
          .addKeyValue("count", damaged).log();
    }
    found.putAll(entries); // uploads indexed while loading are newer
    entries.clear();
    entries.putAll(found);
    loaded = true;
    LOG.atInfo().setMessage("dicom.index-loaded").addKeyValue("instances", entries.size()).log();
  }

  /** Records a stored instance's attributes (replacing an earlier upload's). */
  synchronized void put(InstanceKey key, List<DicomElement> dataset) {
    entries.put(key, List.copyOf(dataset));
  }

  /** Forgets an instance. */
  synchronized void remove(InstanceKey key) {
    entries.remove(key);
  }

  /**
   * Proves, for one request, that the key is accessible: decrypts the metadata envelope of an
   * indexed instance (from the data-key cache: a file read and one AES-GCM pass, no key-vault
   * call). Loads the index first if needed.
   *
   * @throws IOException if reading fails
   * @throws dev.cmk.api.KeyAccessSuspendedException if the key is not accessible
   */
  void proveAccess() throws IOException {
    ensureLoaded();
    List<InstanceKey> keys;
    synchronized (this) {
      keys = new ArrayList<>(entries.keySet());
    }
    for (InstanceKey key : keys) {
      Optional<byte[]> envelope = metadata.read(key);
      if (envelope.isPresent()) {
        metadata.decode(key, envelope.get(), null);
        return;
      }
    }
  }

  /** A copy of the entries, in UID order. */
  synchronized List<Map.Entry<InstanceKey, List<DicomElement>>> snapshot() {
    return entries.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue())).toList();
  }
}
