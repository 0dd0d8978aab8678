package dev.cmk.core;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One stored envelope for {@link EnvelopeCrypto#rewrapAll}: where to read it and where to write
 * the re-wrapped copy. The sink is opened only when the envelope needs re-wrapping; it is committed
 * only after the whole envelope was written (see {@link RewrapSink}), so a failure midway leaves the
 * stored envelope unchanged.
 */
public interface RewrapItem {
  /** {@return a name for progress reports and failures (not secret: shown in logs)} */
  String id();

  /**
   * Opens the stored envelope.
   *
   * @return the envelope stream
   * @throws IOException if it cannot be read
   */
  InputStream openSource() throws IOException;

  /**
   * Opens the destination of the re-wrapped envelope.
   *
   * @return the sink, committed only after a complete write
   * @throws IOException if it cannot be opened
   */
  RewrapSink openSink() throws IOException;

  /**
   * An item over an in-memory envelope (a database column, a blob already read).
   *
   * @param id name for reports
   * @param read supplies the stored envelope
   * @param write receives the re-wrapped envelope
   * @return the item
   */
  static RewrapItem ofBytes(String id, Supplier<byte[]> read, Consumer<byte[]> write) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(read, "read");
    Objects.requireNonNull(write, "write");
    return new RewrapItem() {
      @Override
      public String id() {
        return id;
      }

      @Override
      public InputStream openSource() {
        return new ByteArrayInputStream(read.get());
      }

      @Override
      public RewrapSink openSink() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        return new RewrapSink() {
          @Override
          public OutputStream stream() {
            return buffer;
          }

          @Override
          public void commit() {
            write.accept(buffer.toByteArray());
          }

          @Override
          public void close() {
            buffer.reset();
          }
        };
      }
    };
  }
}
