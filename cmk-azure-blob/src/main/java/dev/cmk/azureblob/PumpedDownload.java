package dev.cmk.azureblob;

import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.models.BlobStorageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A blob's bytes as an {@link InputStream}, fetched by one streaming GET on another thread while
 * the reader decrypts: network and decryption overlap. At most {@value #CHUNKS} chunks of {@value
 * #CHUNK} bytes wait between the two (bounded memory). The SDK resumes a broken GET itself, with the
 * blob's ETag, so the bytes are those of one version. {@link #close()} stops the download.
 */
final class PumpedDownload extends InputStream {
  static final int CHUNK = 256 * 1024;
  static final int CHUNKS = 8;
  private static final byte[] END = new byte[0];

  private final String name;
  private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(CHUNKS);
  private volatile boolean closed;
  private volatile @Nullable IOException failure;
  private byte @Nullable [] current;
  private int at;
  private boolean ended;

  PumpedDownload(BlobClient blob, String name, ExecutorService executor) {
    this.name = name;
    executor.execute(() -> pump(blob));
  }

  private void pump(BlobClient blob) {
    try (OutputStream sink = new Chunker()) {
      blob.downloadStreamWithResponse(sink, null, null, null, false, null, Context.NONE);
    } catch (BlobStorageException e) {
      failure = StorageErrors.io(name, e);
    } catch (IOException e) {
      failure = e;
    } catch (RuntimeException e) {
      failure = new IOException("download of blob " + name + " failed", e);
    } finally {
      put(END);
    }
  }

  /** Hands full chunks to the reader; blocks while the queue is full. */
  private final class Chunker extends OutputStream {
    private byte[] chunk = new byte[CHUNK];
    private int filled;

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        int n = Math.min(len, CHUNK - filled);
        System.arraycopy(b, off, chunk, filled, n);
        filled += n;
        off += n;
        len -= n;
        if (filled == CHUNK) {
          flushChunk();
        }
      }
    }

    private void flushChunk() throws IOException {
      if (filled > 0) {
        if (!put(filled == CHUNK ? chunk : Arrays.copyOf(chunk, filled))) {
          throw new IOException("download closed");
        }
        chunk = new byte[CHUNK];
        filled = 0;
      }
    }

    @Override
    public void close() throws IOException {
      flushChunk();
    }
  }

  /** Queues {@code chunk}; false once the reader closed. */
  private boolean put(byte[] chunk) {
    try {
      while (!closed) {
        if (queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
          return true;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return false;
  }

  @Override
  public int read() throws IOException {
    ensureOpen();
    return fill() ? current[at++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    ensureOpen();
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, current.length - at);
    System.arraycopy(current, at, b, off, n);
    at += n;
    return n;
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
  }

  /**
   * Makes {@link #current} hold unread bytes, waiting for the next chunk if needed.
   *
   * @return false at the end of the blob
   * @throws IOException the download's failure, once the chunks before it are read
   */
  private boolean fill() throws IOException {
    while (current == null || at == current.length) {
      if (ended) {
        return false;
      }
      try {
        current = queue.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while downloading");
      }
      at = 0;
      if (current == END) {
        ended = true;
        IOException e = failure;
        if (e != null) {
          throw e;
        }
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    closed = true;
    queue.clear();
    current = null;
  }
}
