package dev.cmk.examples.dicom;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The per-instance metadata envelopes ({@code <sop>.meta.cmk} beside the instance): a {@link
 * ParsedInstance} (attributes and frame table) encrypted under the customer-managed key, with
 * associated data binding it to the instance's UIDs and content naming the upload it describes
 * ({@link InstanceStore#binding}).
 *
 * <p><b>Security guarantees:</b> attributes are never on disk unencrypted; a metadata envelope
 * moved to another instance fails authentication, and one left from an earlier upload of the same
 * instance is recognised as stale and not used.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
final class InstanceMetadata {
  private final InstanceStore store;

  InstanceMetadata(InstanceStore store) {
    this.store = store;
  }

  /**
   * Opens an instance together with its metadata, both read under the instance's lock so they
   * are of one upload; the metadata is decrypted and checked to describe this very envelope.
   *
   * @param key the instance
   * @return the opened instance and its metadata, or empty if there is none or it was stored
   *     without metadata (a raw upload that did not parse)
   * @throws IOException if the files cannot be read
   * @throws dev.cmk.api.InvalidCiphertextException if either envelope fails authentication
   * @throws dev.cmk.api.KeyAccessSuspendedException if the customer-managed key is not accessible
   */
  Optional<Opened> open(InstanceKey key) throws IOException {
    FileChannel channel;
    byte[] metadata;
    Path path = store.pathOf(key);
    ReentrantLock lock = store.lockFor(path);
    lock.lock();
    try {
      try {
        channel = FileChannel.open(path, StandardOpenOption.READ);
      } catch (NoSuchFileException e) {
        return Optional.empty();
      }
      try {
        metadata = Files.readAllBytes(store.metadataPathOf(key));
      } catch (NoSuchFileException e) {
        channel.close();
        return Optional.empty();
      }
    } finally {
      lock.unlock();
    }
    try {
      Optional<ParsedInstance> parsed = decode(key, metadata, InstanceStore.binding(channel));
      if (parsed.isEmpty()) {
        channel.close();
        return Optional.empty();
      }
      return Optional.of(new Opened(store.open(key, channel), parsed.get()));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * An instance opened with its metadata.
   *
   * @param instance the instance (to be closed)
   * @param metadata its attributes and frames
   */
  record Opened(StoredInstance instance, ParsedInstance metadata) {}

  /**
   * Decrypts and decodes a metadata envelope.
   *
   * @param key the instance it must belong to (associated data)
   * @param envelope the stored metadata envelope
   * @param binding the instance envelope's binding, or null to accept any
   * @return the metadata, or empty if it describes another upload of the instance
   * @throws dev.cmk.api.InvalidCiphertextException if it fails authentication
   */
  Optional<ParsedInstance> decode(InstanceKey key, byte[] envelope, byte[] binding) {
    byte[] plain = store.crypto().decrypt(envelope, associatedData(key));
    try {
      return ParsedInstance.decode(plain, binding);
    } catch (DicomParseException e) {
      throw new IllegalStateException("metadata record of another version: " + e.getMessage());
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /** Reads the stored metadata envelope of an instance, if any (no decryption). */
  Optional<byte[]> read(InstanceKey key) throws IOException {
    try {
      return Optional.of(Files.readAllBytes(store.metadataPathOf(key)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** Every instance that has a metadata envelope (walks study and series directories). */
  List<InstanceKey> keys() throws IOException {
    return store.keys(InstanceStore.META_SUFFIX, null, null);
  }

  /** Associated data of an instance's metadata envelope: bound to its UIDs, distinct from it. */
  static byte[] associatedData(InstanceKey key) {
    return ("cmk-example-dicom-store/meta/v1 " + key)
        .getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * The metadata of an instance's current upload: read together with the instance's binding under
   * its lock, decrypted, and used only if it describes that upload.
   *
   * @param key the instance
   * @return the metadata, or empty if the instance or its (current) metadata is missing
   * @throws IOException if the files cannot be read
   * @throws dev.cmk.api.InvalidCiphertextException if the metadata envelope fails authentication
   * @throws dev.cmk.api.KeyAccessSuspendedException if the customer-managed key is not accessible
   */
  Optional<ParsedInstance> current(InstanceKey key) throws IOException {
    byte[] envelope;
    byte[] binding;
    Path path = store.pathOf(key);
    ReentrantLock lock = store.lockFor(path);
    lock.lock();
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      envelope = Files.readAllBytes(store.metadataPathOf(key));
      binding = InstanceStore.binding(channel);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } finally {
      lock.unlock();
    }
    return decode(key, envelope, binding);
  }
}
