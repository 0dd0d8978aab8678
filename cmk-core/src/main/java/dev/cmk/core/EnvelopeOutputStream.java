package dev.cmk.core;

import java.io.OutputStream;

/**
 * The stream {@link EnvelopeCrypto#encryptingStream} returns: an {@link OutputStream} whose
 * {@link #close()} seals the envelope, plus {@link #abort()} for when the plaintext could not be
 * delivered completely.
 *
 * <p>Why abort exists: {@code try (OutputStream out = crypto.encryptingStream(sink, aad)) {
 * source.transferTo(out); }} closes, and therefore seals, the stream when reading {@code source}
 * fails half-way, which would turn the part read so far into a valid envelope of a truncated
 * plaintext. Call {@code abort()} in that case: the envelope is then never sealed, so whatever
 * reached the sink does not decrypt.
 *
 * <p><b>Guarantees:</b> an envelope is sealed only by a {@code close()} that returns normally on a
 * stream that neither failed nor was aborted. Not thread-safe (like any {@code OutputStream}).
 */
public abstract class EnvelopeOutputStream extends OutputStream {

  /** For the library's implementation only. */
  protected EnvelopeOutputStream() {}

  /**
   * Abandons the envelope: it is never sealed, nothing more is written to the sink, and the sink
   * is neither flushed nor closed, so the caller disposes of it (delete the file, abort the
   * upload). Later writes throw {@link java.io.IOException}; a later {@code close()} does nothing.
   * Idempotent; no effect after {@code close()}.
   */
  public abstract void abort();
}
