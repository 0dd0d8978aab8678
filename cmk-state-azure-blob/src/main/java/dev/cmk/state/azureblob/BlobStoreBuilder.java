package dev.cmk.state.azureblob;

import com.azure.storage.blob.BlobContainerClient;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The settings both blob stores' builders take, each at most once: the container client
 * (required), the blob name prefix and the timeout of one request. {@link BlobDataKeyStore.Builder}
 * and {@link BlobFleetStateStore.Builder} extend it and add their own {@code build()}; their
 * Javadoc says what differs per store. One prefix rule serves both, so one container can hold
 * both stores' blobs under the same kind of name.
 *
 * <p>Not thread-safe.
 *
 * @param <B> the store's own builder, which every setter returns
 */
abstract class BlobStoreBuilder<B extends BlobStoreBuilder<B>> {
  private static final Pattern PREFIX = Pattern.compile("|[A-Za-z0-9][A-Za-z0-9._/-]{0,199}");

  private @Nullable BlobContainerClient container;
  private @Nullable String prefix;
  private @Nullable Duration timeout;

  BlobStoreBuilder() {}

  /** {@return this builder, as the store's own builder type} */
  @SuppressWarnings("unchecked") // B is the subclass, as the class declaration requires
  private B self() {
    return (B) this;
  }

  /**
   * The container that holds the store's blobs (required). It must exist: the store never
   * creates it, and reports a missing container as unavailable. The client's credential needs
   * the blob permissions the store's Javadoc lists (RBAC: Storage Blob Data Contributor on the
   * container).
   *
   * @param client the container client, with its credential, HTTP client and retry options
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public B containerClient(BlobContainerClient client) {
    Objects.requireNonNull(client, "client");
    if (container != null) {
      throw new IllegalStateException("containerClient is already set");
    }
    container = client;
    return self();
  }

  /**
   * The blob name prefix (default: the store's {@code DEFAULT_PREFIX}). Every instance that
   * shares the store's blobs needs the same prefix; services that share a container need one
   * prefix each.
   *
   * @param blobPrefix empty, or up to 200 characters of {@code A-Z a-z 0-9 . _ / -} starting
   *     with a letter or digit, without {@code //}
   * @return this builder
   * @throws IllegalArgumentException if the prefix is not of that form
   * @throws IllegalStateException if already set
   */
  public B blobPrefix(String blobPrefix) {
    Objects.requireNonNull(blobPrefix, "blobPrefix");
    if (!PREFIX.matcher(blobPrefix).matches() || blobPrefix.contains("//")) {
      throw new IllegalArgumentException("blobPrefix must be empty or up to 200 characters of"
          + " A-Z a-z 0-9 . _ / - starting with a letter or digit, without '//'");
    }
    if (prefix != null) {
      throw new IllegalStateException("blobPrefix is already set");
    }
    prefix = blobPrefix;
    return self();
  }

  /**
   * The longest one request may take (default: the store's {@code DEFAULT_TIMEOUT}); the
   * container client's retry options apply on top.
   *
   * @param requestTimeout positive
   * @return this builder
   * @throws IllegalArgumentException if not positive
   * @throws IllegalStateException if already set
   */
  public B timeout(Duration requestTimeout) {
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive");
    }
    if (timeout != null) {
      throw new IllegalStateException("timeout is already set");
    }
    timeout = requestTimeout;
    return self();
  }

  /**
   * {@return the container client, for {@code build()}}
   *
   * @throws IllegalStateException if none was set
   */
  final BlobContainerClient container() {
    if (container == null) {
      throw new IllegalStateException("containerClient is required");
    }
    return container;
  }

  /** {@return the prefix set, or {@code defaultPrefix}} */
  final String prefixOr(String defaultPrefix) {
    return prefix != null ? prefix : defaultPrefix;
  }

  /** {@return the timeout set, or {@code defaultTimeout}} */
  final Duration timeoutOr(Duration defaultTimeout) {
    return timeout != null ? timeout : defaultTimeout;
  }
}
