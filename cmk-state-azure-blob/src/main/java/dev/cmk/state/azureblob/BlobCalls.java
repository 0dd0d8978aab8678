package dev.cmk.state.azureblob;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobDownloadContentResponse;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlockBlobItem;
import com.azure.storage.blob.models.DownloadRetryOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The Get Blob and conditional Put Blob calls of both stores, and their one way of reporting a
 * failure: an exception of the store's "unavailable" type whose message names the container, the
 * operation, the HTTP status and the storage error code (never a credential), with the SDK's
 * exception as its cause.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <X> the store's "unavailable" exception
 */
final class BlobCalls<X extends RuntimeException> {
  /** Makes the store's "unavailable" exception. */
  @FunctionalInterface
  interface Unavailable<X extends RuntimeException> {
    X of(String message, @Nullable Throwable cause);
  }

  /** A blob's content (at most the bytes asked for) and its ETag. */
  record Content(byte[] bytes, String etag) {}

  private final BlobContainerClient container;
  private final Duration timeout;
  private final Unavailable<X> unavailable;
  private final String where;

  BlobCalls(BlobContainerClient container, Duration timeout, Unavailable<X> unavailable) {
    this.container = container;
    this.timeout = timeout;
    this.unavailable = unavailable;
    this.where = "Azure Blob container " + container.getAccountName() + "/"
        + container.getBlobContainerName();
  }

  /** {@return "Azure Blob container account/container", for messages} */
  String where() {
    return where;
  }

  /**
   * Reads the first {@code maxBytes} of a blob, with no retry of the download.
   *
   * @param name the blob
   * @param maxBytes how much to read at most
   * @param operation for "could not {@code operation}", e.g. {@code "read data-key record X"}
   * @param answer for "answered the {@code answer} without an ETag"
   * @param empty the exception for an empty blob (its range is refused with 416)
   * @return the content, or empty if there is no such blob
   * @throws X if the call fails otherwise, or the answer has no ETag
   */
  Optional<Content> download(String name, long maxBytes, String operation, String answer,
      Supplier<? extends RuntimeException> empty) {
    BlobDownloadContentResponse response;
    try {
      response = container.getBlobClient(name).downloadContentWithResponse(
          new DownloadRetryOptions().setMaxRetryRequests(0), null,
          new BlobRange(0, maxBytes), false, timeout, Context.NONE);
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404 && BlobErrorCode.BLOB_NOT_FOUND.equals(e.getErrorCode())) {
        return Optional.empty();
      }
      if (e.getStatusCode() == 416) {
        throw empty.get(); // a range of an empty blob
      }
      throw unavailable(operation, e);
    } catch (RuntimeException e) {
      throw unavailable(operation, e);
    }
    String etag = response.getDeserializedHeaders().getETag();
    if (etag == null || etag.isEmpty()) {
      throw unavailable.of(where + " answered the " + answer + " without an ETag", null);
    }
    return Optional.of(new Content(response.getValue().toBytes(), etag));
  }

  /**
   * Uploads a blob in one Put Blob request under {@code conditions}.
   *
   * @param name the blob
   * @param bytes its content
   * @param contentType its content type
   * @param conditions {@code If-None-Match: *} (creating) or {@code If-Match: <etag>}
   * @param creating whether {@code conditions} is {@code If-None-Match: *}
   * @param operation for "could not {@code operation}"
   * @param answer for "answered the {@code answer} without an ETag"
   * @return the new ETag, or empty if the condition was refused: the blob exists (creating), or
   *     changed or vanished since it was read (replacing)
   * @throws X if the call fails otherwise, or the answer has no ETag
   */
  Optional<String> upload(String name, byte[] bytes, String contentType,
      BlobRequestConditions conditions, boolean creating, String operation, String answer) {
    BlockBlobSimpleUploadOptions upload =
        new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(bytes))
            .setHeaders(new BlobHttpHeaders().setContentType(contentType))
            .setRequestConditions(conditions);
    BlockBlobItem written;
    try {
      written = container.getBlobClient(name).getBlockBlobClient()
          .uploadWithResponse(upload, timeout, Context.NONE).getValue();
    } catch (BlobStorageException e) {
      if (refused(e, creating)) {
        return Optional.empty();
      }
      throw unavailable(operation, e);
    } catch (RuntimeException e) {
      throw unavailable(operation, e);
    }
    if (written == null || written.getETag() == null || written.getETag().isEmpty()) {
      throw unavailable.of(where + " answered the " + answer + " without an ETag", null);
    }
    return Optional.of(written.getETag());
  }

  /** A refused condition: another writer created, changed or deleted the blob. */
  private static boolean refused(BlobStorageException e, boolean creating) {
    BlobErrorCode code = e.getErrorCode();
    return switch (e.getStatusCode()) {
      case 412 -> true;
      case 409 -> creating && BlobErrorCode.BLOB_ALREADY_EXISTS.equals(code);
      case 404 -> !creating && BlobErrorCode.BLOB_NOT_FOUND.equals(code);
      default -> false;
    };
  }

  /**
   * The store's "unavailable" exception for a failed call.
   *
   * @param operation for "could not {@code operation}"
   * @param e the failure: its class, root cause's class, HTTP status and storage error code are
   *     named, and it is the cause
   * @return the exception
   */
  X unavailable(String operation, RuntimeException e) {
    String why;
    if (e instanceof BlobStorageException s) {
      why = "HTTP " + s.getStatusCode() + (s.getErrorCode() == null ? "" : " " + s.getErrorCode());
    } else {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      why = root == e ? e.getClass().getSimpleName()
          : e.getClass().getSimpleName() + " (" + root.getClass().getSimpleName() + ")";
    }
    return unavailable.of(where + ": could not " + operation + ": " + why, e);
  }
}
