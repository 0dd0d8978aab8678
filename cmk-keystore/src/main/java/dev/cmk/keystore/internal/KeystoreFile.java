package dev.cmk.keystore.internal;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyProviderUnavailableException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Reads and writes the PKCS#12 keystore file: one file holding every key version as a private key
 * entry and the {@link KeystoreMetadata} as one secret entry, all protected with the keystore
 * password (PBES2 with AES-256 and HMAC-SHA-256 for the entries; the file's integrity MAC covers
 * everything).
 *
 * <p><b>Crash safety:</b> a write goes to a temporary file in the same directory, is flushed to
 * disk, then atomically renamed over the keystore: readers see the old file or the new one, never
 * a partial one. Writers of one file, in this process or another, serialize on an exclusive lock
 * of the sibling file {@code {name}.lock}; readers need no lock.
 *
 * <p><b>Thread safety:</b> immutable; {@link #locked} serializes writers across threads and
 * processes.
 */
public final class KeystoreFile {
  /** Alias of the metadata entry. */
  public static final String METADATA_ALIAS = "cmk-keystore-metadata";

  /** Entry protection: PBES2, PBKDF2-HMAC-SHA-256, AES-256-CBC. */
  private static final String ENTRY_PROTECTION = "PBEWithHmacSHA256AndAES_256";

  /** Algorithm name the metadata bytes are stored under (a generic secret entry). */
  private static final String METADATA_KEY_ALGORITHM = "HmacSHA256";

  /** One monitor per keystore path in this JVM: file locks are per process, not per thread. */
  private static final ConcurrentMap<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();

  private final Path path;
  private final Path lockPath;

  /**
   * Identifies one version of the file on disk: a new inode (each atomic rename makes one), a new
   * modification time or a new size means the file was replaced.
   *
   * @param modified last modification time
   * @param size size in bytes
   * @param fileKey the file system's identity of the file (inode), or {@code null}
   */
  public record Stamp(FileTime modified, long size, @Nullable Object fileKey) {}

  /**
   * What a read found.
   *
   * @param keyStore the loaded keystore; callers must not modify it once shared
   * @param metadata the metadata
   * @param stamp the file's stamp, taken before reading (so a concurrent replacement is noticed
   *     at the next check, never missed)
   */
  public record Contents(KeyStore keyStore, KeystoreMetadata metadata, Stamp stamp) {}

  /** Work done while holding the write lock. */
  @FunctionalInterface
  public interface LockedWork<T> {
    /**
     * Does the work.
     *
     * @return the result
     * @throws IOException on I/O failure
     */
    T run() throws IOException;
  }

  /**
   * @param path the keystore file
   */
  public KeystoreFile(Path path) {
    Path abs = Objects.requireNonNull(path, "path").toAbsolutePath().normalize();
    this.path = abs;
    this.lockPath = abs.resolveSibling(abs.getFileName() + ".lock");
  }

  /** The keystore file (absolute). */
  public Path path() {
    return path;
  }

  /**
   * The file's current stamp.
   *
   * @return the stamp, or empty if the file does not exist
   * @throws IOException if the attributes cannot be read
   */
  public Optional<Stamp> stamp() throws IOException {
    try {
      BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
      return Optional.of(new Stamp(a.lastModifiedTime(), a.size(), a.fileKey()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /**
   * Runs {@code work} holding this JVM's monitor for the file and an exclusive lock of the
   * sibling lock file (created if missing), so that read-modify-write cycles of several threads
   * and processes do not lose updates.
   *
   * @param work the work
   * @param <T> result type
   * @return its result
   * @throws IOException if the lock file cannot be created or locked, or the work fails
   */
  public <T> T locked(LockedWork<T> work) throws IOException {
    Object monitor = JVM_LOCKS.computeIfAbsent(path, p -> new Object());
    synchronized (monitor) {
      try (FileChannel ch =
          FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        FileLock lock = ch.lock(); // released when the channel closes
        try {
          return work.run();
        } finally {
          lock.release();
        }
      }
    }
  }

  /**
   * Reads and verifies the keystore.
   *
   * @param password the keystore password (not retained, not wiped)
   * @return the contents
   * @throws KeyProviderUnavailableException if the file is missing, unreadable, not a PKCS#12
   *     file, or not a cmk keystore
   * @throws KeyAccessDeniedException ({@code IDENTITY_NOT_AUTHORIZED}) if the password is wrong
   *     or the file fails its integrity check
   */
  public Contents read(char[] password) {
    Stamp stamp;
    byte[] bytes;
    try {
      stamp = stamp().orElseThrow(() -> new NoSuchFileException(path.toString()));
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new KeyProviderUnavailableException(
          "keystore file " + path + " does not exist", null, e);
    } catch (IOException e) {
      throw new KeyProviderUnavailableException(
          "keystore file " + path + " cannot be read", null, e);
    }
    KeyStore ks;
    try {
      ks = KeyStore.getInstance("PKCS12");
      ks.load(new ByteArrayInputStream(bytes), password);
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException) {
        throw new KeyAccessDeniedException(
            "keystore " + path + " could not be opened: wrong password, or the file was altered",
            KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED,
            null);
      }
      throw new KeyProviderUnavailableException(
          "keystore file " + path + " is not a readable PKCS#12 keystore", null, e);
    } catch (GeneralSecurityException e) {
      throw new KeyProviderUnavailableException(
          "keystore file " + path + " is not a readable PKCS#12 keystore", null, e);
    }
    byte[] meta = null;
    try {
      Key k = ks.getKey(METADATA_ALIAS, password);
      if (!(k instanceof SecretKey)) {
        throw new KeyProviderUnavailableException(
            "keystore file " + path + " is a PKCS#12 keystore but not a cmk keystore"
                + " (no " + METADATA_ALIAS + " entry)",
            null,
            null);
      }
      meta = k.getEncoded();
      KeystoreMetadata metadata = KeystoreMetadata.parse(meta);
      for (KeystoreMetadata.KeyEntry key : metadata.keys().values()) {
        for (KeystoreMetadata.VersionEntry v : key.versions()) {
          if (!ks.isKeyEntry(v.alias()) || ks.getCertificate(v.alias()) == null) {
            throw new IllegalArgumentException("no key entry for a version in the metadata");
          }
        }
      }
      return new Contents(ks, metadata, stamp);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new KeyProviderUnavailableException(
          "keystore file " + path + " has inconsistent cmk metadata", null, e);
    } finally {
      if (meta != null) {
        Arrays.fill(meta, (byte) 0);
      }
    }
  }

  /**
   * A new, empty keystore (not yet written).
   *
   * @return the keystore
   */
  public static KeyStore newKeyStore() {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      return ks;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot create a PKCS#12 keystore", e);
    }
  }

  /**
   * The protection used for every entry.
   *
   * @param password the keystore password (the array is referenced, not copied)
   * @return the protection parameter
   */
  public static KeyStore.PasswordProtection protection(char[] password) {
    return new KeyStore.PasswordProtection(password, ENTRY_PROTECTION, null);
  }

  /**
   * Writes {@code metadata} into {@code keyStore} and the keystore to the file, atomically. Call
   * inside {@link #locked}.
   *
   * @param keyStore the keystore to write (its metadata entry is replaced)
   * @param metadata the metadata
   * @param password the keystore password (not retained, not wiped)
   * @return the new file's stamp
   * @throws IOException if the file cannot be written (the old file is then unchanged)
   */
  public Stamp write(KeyStore keyStore, KeystoreMetadata metadata, char[] password)
      throws IOException {
    byte[] meta = metadata.toBytes();
    try {
      keyStore.setEntry(
          METADATA_ALIAS,
          new KeyStore.SecretKeyEntry(new SecretKeySpec(meta, METADATA_KEY_ALGORITHM)),
          protection(password));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot store the keystore metadata", e);
    } finally {
      Arrays.fill(meta, (byte) 0);
    }
    Path dir = path.getParent();
    Files.createDirectories(dir);
    Path tmp = createPrivateTempFile(dir);
    boolean moved = false;
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        OutputStream out = Channels.newOutputStream(ch);
        keyStore.store(out, password);
        out.flush();
        ch.force(true);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JDK cannot write the PKCS#12 keystore", e);
      }
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(
            "the file system of " + dir + " cannot rename atomically; keep the keystore on a"
                + " local file system",
            e);
      }
      moved = true;
      syncDirectory(dir);
      return stamp().orElseThrow(() -> new NoSuchFileException(path.toString()));
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  private Path createPrivateTempFile(Path dir) throws IOException {
    String prefix = "." + path.getFileName() + ".";
    try {
      return Files.createTempFile(
          dir,
          prefix,
          ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      return Files.createTempFile(dir, prefix, ".tmp");
    }
  }

  /** Makes the rename durable where the platform allows opening a directory (Linux, macOS). */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Not supported on every platform (Windows, some file systems). The rename itself is
      // atomic; only durability across a power loss right after it is best effort here.
    }
  }
}
