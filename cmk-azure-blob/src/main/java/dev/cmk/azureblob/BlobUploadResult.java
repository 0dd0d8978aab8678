package dev.cmk.azureblob;

import dev.cmk.api.KeyReference;
import java.util.Objects;

/**
 * What a committed upload stored.
 *
 * @param blobName the blob's name
 * @param eTag the committed blob's ETag
 * @param envelopeLength bytes stored (the envelope)
 * @param blockCount blocks committed
 * @param formatVersion the envelope's format version
 * @param keyReference the key-encryption key version that wrapped the data key
 */
public record BlobUploadResult(
    String blobName,
    String eTag,
    long envelopeLength,
    int blockCount,
    int formatVersion,
    KeyReference keyReference) {

  /**
   * Validates the fields.
   *
   * @param blobName the blob's name
   * @param eTag the committed blob's ETag
   * @param envelopeLength bytes stored (the envelope)
   * @param blockCount blocks committed
   * @param formatVersion the envelope's format version
   * @param keyReference the key-encryption key version that wrapped the data key
   */
  public BlobUploadResult {
    Objects.requireNonNull(blobName, "blobName");
    Objects.requireNonNull(eTag, "eTag");
    Objects.requireNonNull(keyReference, "keyReference");
    if (envelopeLength <= 0 || blockCount <= 0) {
      throw new IllegalArgumentException("envelopeLength and blockCount must be positive");
    }
  }
}
