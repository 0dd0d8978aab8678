package dev.cmk.azureblob;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeInfo;
import java.util.Objects;

/**
 * What a committed upload stored.
 *
 * @param blobName the blob's name
 * @param eTag the committed blob's ETag
 * @param envelopeLength bytes stored (the envelope)
 * @param blockCount blocks committed
 * @param header what the envelope's header says (format, key version or data-key record)
 */
public record BlobUploadResult(
    String blobName,
    String eTag,
    long envelopeLength,
    int blockCount,
    EnvelopeInfo header) {

  /**
   * Validates the fields.
   *
   * @param blobName the blob's name
   * @param eTag the committed blob's ETag
   * @param envelopeLength bytes stored (the envelope)
   * @param blockCount blocks committed
   * @param header what the envelope's header says
   */
  public BlobUploadResult {
    Objects.requireNonNull(blobName, "blobName");
    Objects.requireNonNull(eTag, "eTag");
    Objects.requireNonNull(header, "header");
    if (envelopeLength <= 0 || blockCount <= 0) {
      throw new IllegalArgumentException("envelopeLength and blockCount must be positive");
    }
  }

  /** {@return the envelope's format version} */
  public int formatVersion() {
    return header.formatVersion();
  }

  /**
   * {@return the key-encryption key version that wrapped the data key (format 1)}
   *
   * @throws IllegalStateException for a format 2 envelope: see {@code header().dataKeyId()}
   */
  public KeyReference keyReference() {
    return header.keyReference();
  }
}
