package dev.cmk.azureblob;

import com.azure.core.util.Context;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlockBlobItem;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import dev.cmk.core.EnvelopeInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * The sink of an upload's encrypting stream: cuts the ciphertext into blocks and stages them
 * (Put Block) on the executor, at most {@code maxConcurrency} at a time, with at most {@code
 * maxConcurrency + 1} buffers. {@link #close()} (called by the encrypting stream when it seals)
 * stages the last partial block but commits nothing; only {@link #commit()} does. Block ids are a
 * random per-upload prefix and the block's index, so blocks of two uploads never mix.
 */
final class BlockStager extends OutputStream {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int HEAD = 4096; // the largest envelope header

  private final BlockBlobClient blob;
  private final BlobRequestConditions conditions;
  private final int blockSize;
  private final int maxBuffers;
  private final ExecutorService executor;
  private final BlockingQueue<byte[]> free;
  private final byte[] uploadId = new byte[8];
  private final List<String> blockIds = new ArrayList<>();
  private final List<Future<?>> staged = new ArrayList<>();
  private final byte[] head = new byte[HEAD];
  private int headLength;
  private int allocated;
  private byte @Nullable [] current;
  private int filled;
  private long total;
  private boolean sealed;
  private volatile boolean abandoned;
  private volatile @Nullable Throwable failure;

  BlockStager(BlockBlobClient blob, int blockSize, int maxConcurrency, ExecutorService executor,
      BlobRequestConditions conditions) {
    this.blob = blob;
    this.conditions = conditions;
    this.blockSize = blockSize;
    this.maxBuffers = maxConcurrency + 1;
    this.executor = executor;
    this.free = new ArrayBlockingQueue<>(maxBuffers);
    RANDOM.nextBytes(uploadId);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    ensureUsable();
    if (headLength < HEAD) {
      int n = Math.min(len, HEAD - headLength);
      System.arraycopy(b, off, head, headLength, n);
      headLength += n;
    }
    while (len > 0) {
      if (current == null) {
        current = nextBuffer();
        filled = 0;
      }
      int n = Math.min(len, blockSize - filled);
      System.arraycopy(b, off, current, filled, n);
      filled += n;
      off += n;
      len -= n;
      total += n;
      if (filled == blockSize) {
        stageCurrent();
      }
    }
  }

  /** Stages the last partial block; commits nothing (see {@link #commit()}). */
  @Override
  public void close() throws IOException {
    if (sealed || abandoned) {
      return;
    }
    sealed = true;
    if (current != null && filled > 0) {
      stageCurrent();
    }
  }

  /** Waits for every block, then commits the block list: the only call that makes a blob. */
  BlobUploadResult commit() throws IOException {
    ensureUsable();
    if (!sealed || blockIds.isEmpty()) {
      throw new IllegalStateException("commit before the envelope was sealed");
    }
    for (Future<?> f : staged) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        abandon();
        throw new InterruptedIOException("interrupted while staging blocks");
      } catch (ExecutionException e) {
        abandon();
        throw asIo(e.getCause());
      }
    }
    ensureUsable();
    EnvelopeInfo info = EnvelopeInfo.read(new ByteArrayInputStream(head, 0, headLength));
    Map<String, String> metadata = info.key().isPresent()
        ? Map.of(EnvelopeBlobClient.METADATA_FORMAT, Integer.toString(info.formatVersion()),
            EnvelopeBlobClient.METADATA_KEY, info.keyReference().toString())
        : Map.of(EnvelopeBlobClient.METADATA_FORMAT, Integer.toString(info.formatVersion()),
            EnvelopeBlobClient.METADATA_DATA_KEY, info.dataKeyId().orElseThrow().hex());
    try {
      BlockBlobItem item = blob.commitBlockListWithResponse(
              new BlockBlobCommitBlockListOptions(blockIds).setMetadata(metadata)
                  .setRequestConditions(conditions), null,
              Context.NONE)
          .getValue();
      return new BlobUploadResult(blob.getBlobName(), item.getETag(), total, blockIds.size(),
          info);
    } catch (BlobStorageException e) {
      throw StorageErrors.io(blob.getBlobName(), e);
    }
  }

  /** Stops everything: nothing will be committed. Idempotent. */
  void abandon() {
    abandoned = true;
    for (Future<?> f : staged) {
      f.cancel(true);
    }
    current = null;
    free.clear();
  }

  private void ensureUsable() throws IOException {
    if (abandoned) {
      throw new IOException("upload abandoned; nothing was committed");
    }
    Throwable t = failure;
    if (t != null) {
      throw asIo(t);
    }
  }

  private byte[] nextBuffer() throws IOException {
    byte[] b = free.poll();
    if (b != null) {
      return b;
    }
    if (allocated < maxBuffers) {
      allocated++;
      return new byte[blockSize];
    }
    try {
      b = free.take(); // every buffer is in flight: wait for a block to finish
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while staging blocks");
    }
    ensureUsable();
    return b;
  }

  private void stageCurrent() throws IOException {
    byte[] buffer = current;
    int length = filled;
    current = null;
    filled = 0;
    if (buffer == null) {
      return;
    }
    String id = blockId(blockIds.size());
    blockIds.add(id);
    try {
      staged.add(executor.submit(() -> {
        try {
          if (!abandoned) {
            blob.stageBlockWithResponse(id, new ByteArrayInputStream(buffer, 0, length), length,
                null, null, null, Context.NONE);
          }
        } catch (RuntimeException e) {
          failure = e;
          throw e;
        } finally {
          free.offer(buffer);
        }
        return null;
      }));
    } catch (RejectedExecutionException e) {
      failure = e;
      throw new IOException("the client is closed", e);
    }
  }

  private String blockId(int index) {
    ByteBuffer id = ByteBuffer.allocate(16).put(uploadId).putLong(index);
    return Base64.getEncoder().encodeToString(id.array());
  }

  private IOException asIo(@Nullable Throwable t) {
    if (t instanceof BlobStorageException e) {
      return StorageErrors.io(blob.getBlobName(), e);
    }
    if (t instanceof IOException e) {
      return e;
    }
    return new IOException("staging a block failed", t);
  }
}
