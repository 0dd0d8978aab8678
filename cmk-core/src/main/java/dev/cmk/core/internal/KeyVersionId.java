package dev.cmk.core.internal;

import java.util.Objects;

/**
 * One key-encryption key version as an envelope header names it: the configured provider's id and
 * the version's reference text. Two providers may serve look-alike references, so both are part
 * of the identity.
 *
 * @param providerId the provider id from the header
 * @param reference the versioned key reference text from the header
 */
public record KeyVersionId(String providerId, String reference) {

  /** Validates. */
  public KeyVersionId {
    Objects.requireNonNull(providerId, "providerId");
    Objects.requireNonNull(reference, "reference");
  }

  /** The version named by {@code header}. */
  public static KeyVersionId of(EnvelopeHeader header) {
    return header.versionId();
  }

  /** The version that wrapped {@code wrapped}, as its envelope header will name it. */
  public static KeyVersionId of(dev.cmk.api.WrappedKey wrapped) {
    return new KeyVersionId(wrapped.providerId(), wrapped.keyReference().toString());
  }

  @Override
  public String toString() {
    return providerId + ":" + reference;
  }
}
