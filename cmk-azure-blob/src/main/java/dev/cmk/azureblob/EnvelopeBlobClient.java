package dev.cmk.azureblob;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobRequestConditions;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.RangeReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * cmk envelopes stored as Azure block blobs: upload while encrypting, download while decrypting,
 * and authenticated byte ranges that fetch only the segments they cover. Everything goes through
 * the {@link EnvelopeCrypto} given to the builder, so its data-key cache and its loss-of-access
 * guard apply to blobs exactly as to any other envelope.
 *
 * <pre>{@code
 * EnvelopeBlobClient blobs = EnvelopeBlobClient.builder().crypto(crypto).container(container).build();
 * byte[] aad = "studies/1.2.3/instances/4.5.6".getBytes(UTF_8);   // e.g. the blob's name
 * blobs.upload("studies/1.2.3/instances/4.5.6", dicomFile, aad);
 * try (RangeReader r = blobs.openRangeReader("studies/1.2.3/instances/4.5.6", aad)) {
 *   byte[] frame = r.read(frameOffset, frameLength);              // a few range GETs
 * }
 * }</pre>
 *
 * <p><b>Security guarantees:</b> the blob's bytes are exactly a cmk envelope (format in {@code
 * docs/envelope-format.md}); everything {@link EnvelopeCrypto} guarantees holds. An upload commits
 * its block list only after the envelope was sealed, so a failed, aborted or revoked upload leaves
 * no blob (or the previous version of the blob untouched). Downloads and ranges release plaintext
 * only from segments whose tag verified. Blob metadata ({@value #METADATA_FORMAT}, and {@value
 * #METADATA_KEY} or {@value #METADATA_DATA_KEY}) describes the envelope for operators; it holds nothing secret and is never read
 * back: what to decrypt with comes from the authenticated header. Storage errors surface as {@link
 * IOException} (or {@link UncheckedIOException} where the signature has no {@code IOException}) with
 * the SDK's exception as the cause.
 *
 * <p><b>Thread safety:</b> immutable once built and safe for concurrent use; each upload stream
 * and download stream is for one thread, range readers are safe for concurrent use.
 */
public final class EnvelopeBlobClient implements AutoCloseable {
  /** Metadata name of the envelope format version (e.g. {@code 1}). */
  public static final String METADATA_FORMAT = "cmkformat";
  /** Metadata name of the key-encryption key version that wrapped the data key (format 1). */
  public static final String METADATA_KEY = "cmkkey";
  /** Metadata name of the data-key record a format 2 envelope names (its id, not secret). */
  public static final String METADATA_DATA_KEY = "cmkdatakey";

  private static final AtomicInteger POOLS = new AtomicInteger();

  private final EnvelopeCrypto crypto;
  private final BlobContainerClient container;
  private final int blockSize;
  private final int maxConcurrency;
  private final ExecutorService executor;
  private final boolean ownsExecutor;

  EnvelopeBlobClient(EnvelopeBlobClientBuilder b) {
    this.crypto = Objects.requireNonNull(b.crypto, "crypto");
    this.container = Objects.requireNonNull(b.container, "container");
    this.blockSize = b.blockSize != 0 ? b.blockSize : EnvelopeBlobClientBuilder.DEFAULT_BLOCK_SIZE;
    this.maxConcurrency =
        b.maxConcurrency != 0 ? b.maxConcurrency : EnvelopeBlobClientBuilder.DEFAULT_MAX_CONCURRENCY;
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownsExecutor = false;
    } else {
      int pool = POOLS.incrementAndGet();
      AtomicInteger threads = new AtomicInteger();
      this.executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cmk-blob-" + pool + "-stage-" + threads.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      this.ownsExecutor = true;
    }
  }

  /** {@return a new builder} */
  public static EnvelopeBlobClientBuilder builder() {
    return new EnvelopeBlobClientBuilder();
  }

  /**
   * Opens an upload of one envelope to the block blob {@code blobName}. The data key is obtained
   * and the header written before this returns. Ciphertext is cut into blocks that are staged while
   * the caller writes (at most {@code maxConcurrency} at once, so memory is bounded by {@code
   * (maxConcurrency + 1) × blockSize}); {@code close()} seals the envelope, waits for the last
   * blocks and only then commits the block list, replacing any existing blob of that name. After
   * a failed write, a failed block, {@link BlobEnvelopeUpload#abort()} or a revocation of the key
   * (the stream asks the loss-of-access guard on every write) nothing is committed. Staged blocks
   * that were never committed are discarded by Azure Storage after a week, or by the next commit
   * to the same blob name.
   *
   * @param blobName the blob's name in the container
   * @param associatedData bound to the envelope (not stored); pass what identifies the blob, e.g.
   *     its name, so that a blob copied to another name does not decrypt there
   * @return the upload stream (not thread-safe)
   * @throws IOException if the header cannot be written
   * @throws dev.cmk.api.KeyAccessSuspendedException if the write key is not accessible
   * @throws dev.cmk.api.KeyProviderException if a new data key could not be wrapped
   */
  public BlobEnvelopeUpload openUpload(String blobName, byte[] associatedData) throws IOException {
    return openUpload(blobName, associatedData, new BlobRequestConditions());
  }

  /**
   * {@link #openUpload(String, byte[])} with conditions on the commit, e.g. create-only ({@code
   * new BlobRequestConditions().setIfNoneMatch("*")}) or replace-if-unchanged ({@code
   * setIfMatch(eTag)}). The conditions are checked by Azure Storage when the block list is
   * committed; if they do not hold, {@code close()} throws an {@link IOException} and nothing is
   * committed.
   *
   * @param blobName the blob's name in the container
   * @param associatedData bound to the envelope (not stored)
   * @param conditions conditions of the commit
   * @return the upload stream (not thread-safe)
   * @throws IOException if the header cannot be written
   * @throws dev.cmk.api.KeyAccessSuspendedException if the write key is not accessible
   * @throws dev.cmk.api.KeyProviderException if a new data key could not be wrapped
   */
  public BlobEnvelopeUpload openUpload(String blobName, byte[] associatedData,
      BlobRequestConditions conditions) throws IOException {
    Objects.requireNonNull(blobName, "blobName");
    Objects.requireNonNull(associatedData, "associatedData");
    Objects.requireNonNull(conditions, "conditions");
    BlockStager stager = new BlockStager(
        container.getBlobClient(blobName).getBlockBlobClient(), blockSize, maxConcurrency,
        executor, conditions);
    try {
      return new BlobEnvelopeUpload(crypto.encryptingStream(stager, associatedData), stager);
    } catch (IOException | RuntimeException e) {
      stager.abandon();
      throw e;
    }
  }

  /**
   * Encrypts everything {@code plaintext} delivers into the blob {@code blobName} (see {@link
   * #openUpload}). When reading {@code plaintext} fails, the upload is aborted and nothing is
   * committed. {@code plaintext} is not closed.
   *
   * @param blobName the blob's name
   * @param plaintext the data
   * @param associatedData bound to the envelope (not stored)
   * @return what was committed
   * @throws IOException if reading {@code plaintext} or the upload fails (nothing committed)
   * @throws dev.cmk.api.KeyAccessSuspendedException if the key is not accessible (nothing
   *     committed)
   */
  public BlobUploadResult upload(String blobName, InputStream plaintext, byte[] associatedData)
      throws IOException {
    return upload(blobName, plaintext, associatedData, new BlobRequestConditions());
  }

  /**
   * {@link #upload(String, InputStream, byte[])} with conditions on the commit (see {@link
   * #openUpload(String, byte[], BlobRequestConditions)}).
   *
   * @param blobName the blob's name
   * @param plaintext the data
   * @param associatedData bound to the envelope (not stored)
   * @param conditions conditions of the commit, e.g. {@code setIfNoneMatch("*")} for create-only
   * @return what was committed
   * @throws IOException if reading {@code plaintext} or the upload fails, or the conditions do not
   *     hold (nothing committed)
   * @throws dev.cmk.api.KeyAccessSuspendedException if the key is not accessible (nothing
   *     committed)
   */
  public BlobUploadResult upload(String blobName, InputStream plaintext, byte[] associatedData,
      BlobRequestConditions conditions) throws IOException {
    Objects.requireNonNull(plaintext, "plaintext");
    BlobEnvelopeUpload upload = openUpload(blobName, associatedData, conditions);
    boolean done = false;
    try {
      byte[] buf = new byte[64 * 1024];
      for (int n; (n = plaintext.read(buf)) >= 0; ) {
        upload.write(buf, 0, n);
      }
      upload.close();
      done = true;
      return upload.result().orElseThrow();
    } finally {
      if (!done) {
        upload.abort();
      }
    }
  }

  /**
   * Opens a decrypting download of the blob {@code blobName}, in constant memory: one streaming GET
   * on a staging thread feeds the decryption through a bounded queue (2 MiB), so network and
   * decryption overlap; the SDK resumes a broken GET with the blob's ETag, so the bytes are those of
   * one version (a blob replaced meanwhile fails the stream with an {@link IOException}). The
   * header is read and
   * verified and the data key unwrapped before this returns. Reads release a segment's plaintext
   * only after its tag verified ({@link dev.cmk.api.InvalidCiphertextException} otherwise), end
   * of stream only after the last segment verified, and each segment asks the loss-of-access
   * guard first.
   *
   * @param blobName the blob's name
   * @param associatedData the bytes given at upload
   * @return the plaintext stream (not thread-safe); close it
   * @throws IOException if the blob cannot be read (missing: {@link java.nio.file.NoSuchFileException})
   * @throws dev.cmk.api.InvalidCiphertextException if the header is malformed or does not verify
   * @throws dev.cmk.api.KeyAccessSuspendedException if the key is not accessible
   */
  public InputStream openDownload(String blobName, byte[] associatedData) throws IOException {
    Objects.requireNonNull(blobName, "blobName");
    Objects.requireNonNull(associatedData, "associatedData");
    InputStream ciphertext = new PumpedDownload(container.getBlobClient(blobName), blobName,
        executor);
    boolean opened = false;
    try {
      InputStream plaintext = crypto.decryptingStream(ciphertext, associatedData);
      opened = true;
      return plaintext;
    } finally {
      if (!opened) {
        ciphertext.close();
      }
    }
  }

  /**
   * Opens the blob {@code blobName} for authenticated random access. One range GET reads the
   * header (and, for a small blob, everything) and pins the blob's ETag; the header is verified,
   * the data key unwrapped and the last segment authenticated (proving the length) before this
   * returns. Each later {@link RangeReader#read} or {@link RangeReader#stream} fetches only the
   * ciphertext of the segments that cover the range, with HTTP range GETs conditional on that
   * ETag, and asks the loss-of-access guard before each segment.
   *
   * @param blobName the blob's name
   * @param associatedData the bytes given at upload
   * @return the reader (safe for concurrent use); close it
   * @throws UncheckedIOException if the blob cannot be read (missing: a {@link
   *     java.nio.file.NoSuchFileException} cause)
   * @throws dev.cmk.api.InvalidCiphertextException if the envelope is malformed or does not verify
   * @throws dev.cmk.api.KeyAccessSuspendedException if the key is not accessible
   */
  public BlobRangeReader openRangeReader(String blobName, byte[] associatedData) {
    Objects.requireNonNull(blobName, "blobName");
    Objects.requireNonNull(associatedData, "associatedData");
    BlobSnapshot snapshot = BlobSnapshot.open(container.getBlobClient(blobName), blobName);
    return new BlobRangeReader(crypto, snapshot, associatedData.clone(), blockSize);
  }

  /** Shuts down the client's own staging threads (not an executor given to the builder). */
  @Override
  public void close() {
    if (ownsExecutor) {
      executor.shutdown();
    }
  }

  @Override
  public String toString() {
    return "EnvelopeBlobClient[" + container.getBlobContainerUrl() + "]";
  }
}
