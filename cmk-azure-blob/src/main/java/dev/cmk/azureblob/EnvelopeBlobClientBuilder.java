package dev.cmk.azureblob;

import com.azure.storage.blob.BlobContainerClient;
import dev.cmk.core.EnvelopeCrypto;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * Builds an {@link EnvelopeBlobClient}. Each setting may be set once ({@link
 * IllegalStateException} on a second call); {@link #build()} makes no network call. Not
 * thread-safe.
 */
public final class EnvelopeBlobClientBuilder {
  /** Default ciphertext bytes per staged block: 4 MiB. */
  public static final int DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024;
  /** Default number of blocks in flight per upload: 4. */
  public static final int DEFAULT_MAX_CONCURRENCY = 4;
  /** Smallest block size accepted: 64 KiB. */
  public static final int MIN_BLOCK_SIZE = 64 * 1024;
  /** Largest block size accepted: 100 MiB (far below Azure's 4000 MiB limit, bounds memory). */
  public static final int MAX_BLOCK_SIZE = 100 * 1024 * 1024;

  @Nullable EnvelopeCrypto crypto;
  @Nullable BlobContainerClient container;
  int blockSize;
  int maxConcurrency;
  @Nullable ExecutorService executor;

  EnvelopeBlobClientBuilder() {}

  /**
   * The envelope encryption every upload, download and range goes through (its data-key cache and
   * loss-of-access guard apply). The application owns it; the client never closes it.
   *
   * @param crypto the envelope encryption
   * @return this builder
   */
  public EnvelopeBlobClientBuilder crypto(EnvelopeCrypto crypto) {
    Objects.requireNonNull(crypto, "crypto");
    once(this.crypto, "crypto");
    this.crypto = crypto;
    return this;
  }

  /**
   * The container the blobs live in (required).
   *
   * @param container a container client of the real {@code azure-storage-blob} SDK
   * @return this builder
   */
  public EnvelopeBlobClientBuilder container(BlobContainerClient container) {
    Objects.requireNonNull(container, "container");
    once(this.container, "container");
    this.container = container;
    return this;
  }

  /**
   * Ciphertext bytes per staged block (default {@value #DEFAULT_BLOCK_SIZE}). An upload holds at
   * most {@code maxConcurrency + 1} such buffers. Azure commits at most 50,000 blocks, so this
   * also bounds the largest blob (4 MiB → about 195 GiB).
   *
   * @param bytes {@value #MIN_BLOCK_SIZE} to {@value #MAX_BLOCK_SIZE}
   * @return this builder
   * @throws IllegalArgumentException if out of range
   */
  public EnvelopeBlobClientBuilder blockSize(int bytes) {
    if (bytes < MIN_BLOCK_SIZE || bytes > MAX_BLOCK_SIZE) {
      throw new IllegalArgumentException(
          "blockSize must be " + MIN_BLOCK_SIZE + ".." + MAX_BLOCK_SIZE + ": " + bytes);
    }
    once(this.blockSize == 0 ? null : this, "blockSize");
    this.blockSize = bytes;
    return this;
  }

  /**
   * Blocks staged at once per upload (default {@value #DEFAULT_MAX_CONCURRENCY}); 1 stages one
   * block at a time.
   *
   * @param blocks 1 to 32
   * @return this builder
   * @throws IllegalArgumentException if out of range
   */
  public EnvelopeBlobClientBuilder maxConcurrency(int blocks) {
    if (blocks < 1 || blocks > 32) {
      throw new IllegalArgumentException("maxConcurrency must be 1..32: " + blocks);
    }
    once(this.maxConcurrency == 0 ? null : this, "maxConcurrency");
    this.maxConcurrency = blocks;
    return this;
  }

  /**
   * Runs block uploads on {@code executor}, which the application owns. Without it the client
   * makes a pool of daemon threads, shut down by {@link EnvelopeBlobClient#close()}.
   *
   * @param executor the executor
   * @return this builder
   */
  public EnvelopeBlobClientBuilder executor(ExecutorService executor) {
    Objects.requireNonNull(executor, "executor");
    once(this.executor, "executor");
    this.executor = executor;
    return this;
  }

  /**
   * Builds the client.
   *
   * @return the client
   * @throws IllegalStateException if the crypto or the container is missing
   */
  public EnvelopeBlobClient build() {
    if (crypto == null) {
      throw new IllegalStateException("crypto is required");
    }
    if (container == null) {
      throw new IllegalStateException("container is required");
    }
    return new EnvelopeBlobClient(this);
  }

  private static void once(@Nullable Object current, String name) {
    if (current != null) {
      throw new IllegalStateException(name + " is already set");
    }
  }
}
