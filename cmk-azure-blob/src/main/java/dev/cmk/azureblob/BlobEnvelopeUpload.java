package dev.cmk.azureblob;

import dev.cmk.core.EnvelopeOutputStream;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * An upload in progress ({@link EnvelopeBlobClient#openUpload}): write the plaintext, then {@link
 * #close()} seals the envelope and commits the blob, or {@link #abort()} abandons it.
 *
 * <p><b>Guarantees:</b> the block list is committed only by a {@code close()} that returns normally
 * on an upload that neither failed (a write, a staged block, the key) nor was aborted; otherwise no
 * blob is created and an existing blob of the same name keeps its content. Not thread-safe.
 */
public final class BlobEnvelopeUpload extends EnvelopeOutputStream {
  private final EnvelopeOutputStream envelope;
  private final BlockStager stager;
  private boolean failed;
  private boolean closed;
  private @Nullable BlobUploadResult result;

  BlobEnvelopeUpload(EnvelopeOutputStream envelope, BlockStager stager) {
    this.envelope = envelope;
    this.stager = stager;
  }

  /** Forwards to the envelope's own single-byte write (no array per byte). */
  @Override
  public void write(int b) throws IOException {
    ensureOpen();
    try {
      envelope.write(b);
    } catch (IOException | RuntimeException e) {
      fail();
      throw e;
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length); // a caller's bad index does not fail the upload
    ensureOpen();
    try {
      envelope.write(b, off, len);
    } catch (IOException | RuntimeException e) {
      fail();
      throw e;
    }
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException(failed ? "upload failed or aborted; nothing was committed"
          : "upload closed");
    }
  }

  /** Does nothing: blocks are staged as they fill; nothing is visible before {@code close()}. */
  @Override
  public void flush() {}

  /**
   * Seals the envelope, waits for every staged block and commits the block list (with the metadata
   * {@value EnvelopeBlobClient#METADATA_FORMAT} and {@value EnvelopeBlobClient#METADATA_KEY}).
   * After a failure or {@link #abort()} it commits nothing and returns; call it again: no effect.
   *
   * @throws IOException if sealing, a staged block or the commit fails (nothing committed)
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (failed) {
      envelope.abort();
      stager.abandon();
      return;
    }
    try {
      envelope.close(); // seals the last segment; the stager's close() commits nothing
      result = stager.commit();
    } catch (IOException | RuntimeException e) {
      failed = true;
      stager.abandon();
      throw e;
    }
  }

  /**
   * Abandons the upload: nothing is committed, blocks in flight are cancelled. Idempotent; no effect
   * after a successful {@code close()}.
   */
  @Override
  public void abort() {
    if (!closed) {
      fail();
      closed = true;
    }
  }

  private void fail() {
    failed = true;
    envelope.abort();
    stager.abandon();
  }

  /** {@return what was committed, once {@code close()} succeeded; empty before or after a failure} */
  public Optional<BlobUploadResult> result() {
    return Optional.ofNullable(result);
  }
}
