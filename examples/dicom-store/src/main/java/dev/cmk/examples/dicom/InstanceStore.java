package dev.cmk.examples.dicom;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.RangeReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DICOM instances on disk, one cmk envelope per instance at {@code
 * <root>/<study>/<series>/<sop>.dcm.cmk}.
 *
 * <p>An upload is encrypted as it streams in ({@link EnvelopeCrypto#encryptingStream}) into a
 * temporary file under {@code <root>/.incoming}, forced to disk, and only then renamed onto its
 * final name, so a reader sees the old instance or the complete new one, never a partial file, and
 * a failed upload (client gone, body not DICOM, key not accessible, disk full) leaves nothing
 * behind. Memory use is constant (a few 64 KiB buffers) whatever the instance size. A new study or
 * series directory is made durable (its parent directory is forced to disk) before the instance
 * that needs it is published, and the directory holding the instance is forced after the rename,
 * so an instance whose upload was answered survives a power loss.
 *
 * <p><b>Security guarantees:</b> no plaintext byte reaches the disk. Each envelope is bound to its
 * three UIDs through the associated data, so a file moved onto another instance's name fails to
 * decrypt. UIDs are validated ({@link DicomUid}) before they become path components. Where the
 * file system is POSIX, directories the store creates (the data directory itself when missing,
 * {@code .incoming}, study and series) are {@code rwx------} and files {@code rw-------}, so other
 * local users cannot list the UIDs either; an existing data directory keeps its permissions.
 *
 * <p><b>Thread safety:</b> safe for concurrent use. Publishing an upload is atomic (a hard link
 * for a new instance, a rename onto an existing one) and serialised per instance with deletes of
 * that instance, so of concurrent uploads of one new instance exactly one reports {@code created};
 * a reader holding a file open keeps reading the version it opened. The directory must belong to
 * one store process.
 */
final class InstanceStore {
  private static final Logger LOG = LoggerFactory.getLogger(InstanceStore.class);

  /** File name suffix of stored instances. */
  static final String SUFFIX = ".dcm.cmk";
  /** File name suffix of the per-instance metadata envelopes (attributes and frame table). */
  static final String META_SUFFIX = ".meta.cmk";
  /** How many leading bytes of an instance envelope identify it to its metadata. */
  private static final int BINDING_PREFIX = 4096;
  /** Directory for uploads in progress (a UID never starts with a dot). */
  static final String INCOMING = ".incoming";
  /** Length of the DICOM Part 10 preamble before the {@code DICM} prefix. */
  static final int PREAMBLE_LENGTH = 128;

  private static final int DICM_LENGTH = 4;
  private static final int LOCK_STRIPES = 64;

  /** Forces a directory's entries to disk. */
  @FunctionalInterface
  interface DirectorySync {
    /**
     * Makes the entries created, renamed or removed in {@code directory} durable.
     *
     * @param directory the directory
     */
    void force(Path directory);
  }

  /** How an upload treats an existing instance. */
  enum WriteMode {
    /** Refuse when the instance exists (POST). */
    CREATE_ONLY,
    /** Create, or replace atomically (PUT). */
    CREATE_OR_REPLACE
  }

  /**
   * The result of a stored upload.
   *
   * @param created whether the instance is new (otherwise it replaced one)
   * @param length plaintext bytes stored
   */
  record WriteResult(boolean created, long length) {}

  private final Path root;
  private final Path incoming;
  private final EnvelopeCrypto crypto;
  private final long maxInstanceSize;
  private final DirectorySync sync;
  private final FileAttribute<?>[] directoryAttributes;
  private final ReentrantLock[] commitLocks = new ReentrantLock[LOCK_STRIPES];
  private final Object directoryLock = new Object();
  private volatile UnaryOperator<SeekableByteChannel> readChannels = UnaryOperator.identity();

  /**
   * Opens (creating if needed) a store and removes uploads a previous process left unfinished.
   *
   * @param root the data directory
   * @param crypto encrypts and decrypts; owned by the caller
   * @param maxInstanceSize largest instance accepted, in bytes
   * @throws IOException if the directories cannot be created
   */
  InstanceStore(Path root, EnvelopeCrypto crypto, long maxInstanceSize) throws IOException {
    this(root, crypto, maxInstanceSize, InstanceStore::syncDirectory);
  }

  /**
   * As {@link #InstanceStore(Path, EnvelopeCrypto, long)}, with the directory sync replaced (tests
   * record which directories are forced).
   *
   * @param sync forces a directory to disk
   */
  InstanceStore(Path root, EnvelopeCrypto crypto, long maxInstanceSize, DirectorySync sync)
      throws IOException {
    this.sync = Objects.requireNonNull(sync, "sync");
    Path absolute = root.toAbsolutePath();
    this.directoryAttributes =
        absolute.getFileSystem().supportedFileAttributeViews().contains("posix")
            ? new FileAttribute<?>[] {
              PosixFilePermissions.asFileAttribute(Set.of(
                  PosixFilePermission.OWNER_READ,
                  PosixFilePermission.OWNER_WRITE,
                  PosixFilePermission.OWNER_EXECUTE))
            }
            : new FileAttribute<?>[0];
    for (int i = 0; i < commitLocks.length; i++) {
      commitLocks[i] = new ReentrantLock();
    }
    ensureDirectory(absolute);
    this.root = absolute.toRealPath();
    this.incoming = this.root.resolve(INCOMING);
    ensureDirectory(this.incoming);
    this.crypto = Objects.requireNonNull(crypto, "crypto");
    if (maxInstanceSize < PREAMBLE_LENGTH + DICM_LENGTH) {
      throw new IllegalArgumentException("maxInstanceSize must be at least 132 bytes");
    }
    this.maxInstanceSize = maxInstanceSize;
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(incoming)) {
      for (Path p : leftovers) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** The data directory (absolute, real path). */
  Path root() {
    return root;
  }

  /** Whether the instance exists. */
  boolean exists(InstanceKey key) {
    return Files.exists(pathOf(key));
  }

  /**
   * Publishes a sealed upload: links (new) or renames (replacing) {@code temp} onto the
   * instance's name, then its metadata envelope (or removes a stale one), under the instance's
   * lock, and forces the directory.
   *
   * @param key the instance
   * @param temp the sealed envelope in {@link #incoming()}
   * @param metadata the sealed metadata envelope in {@link #incoming()}, or null if the instance
   *     could not be parsed (raw uploads only)
   * @param mode whether an existing instance may be replaced
   * @return whether the instance is new
   * @throws StoreRejection if {@code CREATE_ONLY} and the instance exists
   * @throws IOException if the file system fails
   */
  boolean publish(InstanceKey key, Path temp, Path metadata, WriteMode mode)
      throws IOException, StoreRejection {
    Path target = pathOf(key);
    ensureDirectory(target.getParent());
    ReentrantLock lock = lockFor(target);
    lock.lock();
    try {
      boolean created;
      try {
        // Atomic, and fails if the name exists: whether this upload created the instance is
        // decided by the file system, not by an earlier look. The lock keeps a delete of the
        // same instance from slipping in between the failed link and the rename below.
        Files.createLink(target, temp);
        created = true;
      } catch (FileAlreadyExistsException e) {
        if (mode == WriteMode.CREATE_ONLY) {
          throw alreadyExists();
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        created = false;
      }
      if (metadata != null) {
        Files.move(metadata, metadataPathOf(key), StandardCopyOption.ATOMIC_MOVE);
      } else {
        Files.deleteIfExists(metadataPathOf(key));
      }
      sync.force(target.getParent());
      return created;
    } finally {
      lock.unlock();
    }
  }

  /** The upload directory. */
  Path incoming() {
    return incoming;
  }

  /** The envelope crypto. */
  EnvelopeCrypto crypto() {
    return crypto;
  }

  /** The largest instance accepted. */
  long maxInstanceSize() {
    return maxInstanceSize;
  }

  static StoreRejection alreadyExistsRejection() {
    return alreadyExists();
  }

  /**
   * Creates {@code directory} and any missing parents with owner-only permissions where POSIX,
   * forcing each new directory's parent so the new entry is durable; an existing directory is left
   * as it is. Serialised, so that no upload sees a directory another upload created but has not
   * yet made durable (checking is a {@code stat}; only creating costs an fsync).
   */
  private void ensureDirectory(Path directory) throws IOException {
    synchronized (directoryLock) {
      if (Files.isDirectory(directory)) {
        return;
      }
      Path parent = directory.getParent();
      if (parent != null) {
        ensureDirectory(parent);
      }
      Files.createDirectory(directory, directoryAttributes);
      if (parent != null) {
        sync.force(parent);
      }
    }
  }

  ReentrantLock lockFor(Path target) {
    return commitLocks[Math.floorMod(target.hashCode(), LOCK_STRIPES)];
  }

  /**
   * Opens an instance for reading: authenticates the envelope header and the last segment (which
   * proves the length). Reading the key may be needed (unwrap of the data key).
   *
   * @param key the instance
   * @return the opened instance, or empty if there is none
   * @throws IOException if the file cannot be read
   * @throws dev.cmk.api.InvalidCiphertextException if the stored envelope is truncated, extended or
   *     tampered with, or belongs to another instance
   * @throws dev.cmk.api.KeyAccessSuspendedException if the customer-managed key is not accessible
   * @throws dev.cmk.api.KeyProviderException if the data key could not be unwrapped
   */
  Optional<StoredInstance> open(InstanceKey key) throws IOException {
    FileChannel channel;
    try {
      channel = FileChannel.open(pathOf(key), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    return Optional.of(open(key, channel));
  }

  StoredInstance open(InstanceKey key, FileChannel channel) throws IOException {
    try {
      RangeReader reader = crypto.rangeReader(readChannels.apply(channel), key.associatedData());
      String etag = etag(channel);
      return new StoredInstance(channel, reader, crypto, key.associatedData(), etag);
    } catch (IOException | RuntimeException e) {
      try {
        channel.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * The instances stored under a study (and series), found by their files; UIDs only.
   *
   * @param suffix {@link #SUFFIX} (instances) or {@link #META_SUFFIX} (instances with metadata)
   * @param study a study UID, or null for all
   * @param series a series UID, or null for all
   * @return the keys, in UID order
   * @throws IOException if a directory cannot be listed
   */
  List<InstanceKey> keys(String suffix, String study, String series) throws IOException {
    return StoredKeys.list(root, suffix, study, series);
  }

  /**
   * What ties a metadata envelope to one upload of its instance: SHA-256 of the instance
   * envelope's first {@value #BINDING_PREFIX} bytes, which hold its header (a fresh wrapped data
   * key and nonce prefix per upload).
   */
  static byte[] binding(FileChannel channel) throws IOException {
    ByteBuffer prefix = ByteBuffer.allocate((int) Math.min(BINDING_PREFIX, channel.size()));
    while (prefix.hasRemaining()) {
      if (channel.read(prefix, prefix.position()) < 0) {
        throw new IOException("stored envelope shorter than it was");
      }
    }
    return sha256(prefix.array(), prefix.capacity());
  }

  /** Test hook: wraps every channel an instance is read through (e.g. to count bytes). */
  void readChannels(UnaryOperator<SeekableByteChannel> wrapper) {
    this.readChannels = Objects.requireNonNull(wrapper, "wrapper");
  }

  /**
   * Deletes an instance. Needs no key: deleting ciphertext never requires decrypting it.
   *
   * @param key the instance
   * @return whether it existed
   * @throws IOException if the file cannot be deleted
   */
  boolean delete(InstanceKey key) throws IOException {
    Path path = pathOf(key);
    ReentrantLock lock = lockFor(path);
    lock.lock();
    try {
      boolean deleted = Files.deleteIfExists(path);
      Files.deleteIfExists(metadataPathOf(key));
      if (deleted) {
        sync.force(path.getParent());
      }
      return deleted;
    } finally {
      lock.unlock();
    }
  }

  /** Where an instance lives. */
  Path pathOf(InstanceKey key) {
    Path path =
        root.resolve(key.studyUid())
            .resolve(key.seriesUid())
            .resolve(key.sopInstanceUid() + SUFFIX);
    // Unreachable with validated UIDs; kept as a second line of defence against path traversal.
    if (!path.normalize().startsWith(root) || !path.equals(path.normalize())) {
      throw new IllegalArgumentException("instance path escapes the data directory");
    }
    return path;
  }

  /** Where an instance's metadata envelope lives. */
  Path metadataPathOf(InstanceKey key) {
    return pathOf(key).resolveSibling(key.sopInstanceUid() + META_SUFFIX);
  }

  private static StoreRejection alreadyExists() {
    return new StoreRejection(
        StoreRejection.Reason.ALREADY_EXISTS,
        "the instance already exists; use PUT to replace it");
  }

  /**
   * A strong ETag from the (authenticated) envelope header, which no other envelope shares: its
   * wrapped data key and nonce prefix together are unique.
   */
  private static String etag(FileChannel channel) throws IOException {
    return "\"" + HexFormat.of().formatHex(binding(channel), 0, 16) + "\"";
  }

  private static byte[] sha256(byte[] b, int n) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(b, 0, n);
      return digest.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  /** Makes a rename or delete durable; not every platform can open a directory, which is fine. */
  private static void syncDirectory(Path directory) {
    try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      LOG.atDebug().setMessage("dicom.directory-sync-unsupported")
          .addKeyValue("error", e.toString())
          .log();
    }
  }
}
