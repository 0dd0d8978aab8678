package dev.cmk.core;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Where one re-wrapped envelope is written, transactionally: {@link EnvelopeCrypto#rewrapAll}
 * writes the whole envelope to {@link #stream()}, calls {@link #commit()} only when every byte was
 * written, and then {@link #close()}. Closing without a commit must discard what was written and
 * leave the stored envelope as it was (e.g. delete a temporary file instead of renaming it over the
 * original).
 */
public interface RewrapSink extends Closeable {

  /**
   * The stream to write the re-wrapped envelope to. Closing it is not required; {@link #close()}
   * releases it.
   *
   * @return the stream
   */
  OutputStream stream();

  /**
   * Makes the re-wrapped envelope the stored one (e.g. an atomic rename). Called at most once,
   * after the whole envelope was written.
   *
   * @throws IOException if it cannot be committed; the stored envelope must then be unchanged
   */
  void commit() throws IOException;

  /**
   * Releases resources; without a prior {@link #commit()}, discards what was written.
   *
   * @throws IOException if releasing fails
   */
  @Override
  void close() throws IOException;
}
