package dev.cmk.azureblob;

import com.azure.storage.blob.models.BlobStorageException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;

/** Storage failures as {@link IOException}s; the SDK's exception stays the cause. */
final class StorageErrors {
  private StorageErrors() {}

  static IOException io(String blobName, BlobStorageException e) {
    if (e.getStatusCode() == 404) {
      NoSuchFileException missing = new NoSuchFileException(blobName, null, "no such blob");
      missing.initCause(e);
      return missing;
    }
    if (e.getStatusCode() == 412) {
      return new IOException("blob " + blobName + " changed (a condition on its ETag failed)", e);
    }
    if (e.getStatusCode() == 409 && "BlobAlreadyExists".equals(String.valueOf(e.getErrorCode()))) {
      return new IOException("blob " + blobName + " already exists", e);
    }
    return new IOException("blob " + blobName + ": storage request failed (HTTP "
        + e.getStatusCode() + ")", e);
  }
}
