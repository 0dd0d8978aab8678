package dev.cmk.api;

import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A data key wrapped under one version of a key-encryption key: which provider, which key version,
 * which algorithm, and the wrapped bytes. Not secret.
 *
 * @param providerId id of the provider that wrapped it
 * @param keyReference the key-encryption key, always versioned
 * @param algorithm the wrap algorithm
 * @param ciphertext the wrapped key bytes (copied in and out)
 */
public record WrappedKey(
    String providerId, KeyReference keyReference, WrapAlgorithm algorithm, byte[] ciphertext) {

  /** Largest wrapped key accepted (an RSA-8192 block). */
  public static final int MAX_CIPHERTEXT_LENGTH = 1024;

  /**
   * Validates the fields and copies {@code ciphertext}.
   *
   * @param providerId id of the provider that wrapped it
   * @param keyReference the key-encryption key, always versioned
   * @param algorithm the wrap algorithm
   * @param ciphertext the wrapped key bytes, 1 to {@value #MAX_CIPHERTEXT_LENGTH} bytes
   * @throws IllegalArgumentException if {@code keyReference} names no version, {@code providerId}
   *     is not a valid provider id, or {@code ciphertext} has no bytes or too many
   */
  public WrappedKey {
    Objects.requireNonNull(providerId, "providerId");
    Objects.requireNonNull(keyReference, "keyReference");
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(ciphertext, "ciphertext");
    ProviderIds.check(providerId);
    if (!keyReference.isVersioned()) {
      throw new IllegalArgumentException("a wrapped key must name the key version used");
    }
    if (ciphertext.length == 0 || ciphertext.length > MAX_CIPHERTEXT_LENGTH) {
      throw new IllegalArgumentException(
          "wrapped key length must be 1-" + MAX_CIPHERTEXT_LENGTH + " bytes");
    }
    ciphertext = ciphertext.clone();
  }

  /** {@return a copy of the wrapped bytes} */
  @Override
  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  /** {@return the length of the wrapped bytes, without copying} */
  public int ciphertextLength() {
    return ciphertext.length;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof WrappedKey)) {
      return false;
    }
    WrappedKey w = (WrappedKey) o;
    return providerId.equals(w.providerId)
        && keyReference.equals(w.keyReference)
        && algorithm == w.algorithm
        && Arrays.equals(ciphertext, w.ciphertext);
  }

  @Override
  public int hashCode() {
    return Objects.hash(providerId, keyReference, algorithm, Arrays.hashCode(ciphertext));
  }

  @Override
  public String toString() {
    String b64 = Base64.getEncoder().encodeToString(ciphertext);
    return "WrappedKey[provider="
        + providerId
        + ", key="
        + keyReference
        + ", algorithm="
        + algorithm.jwaName()
        + ", ciphertext="
        + (b64.length() > 16 ? b64.substring(0, 16) + "…" : b64)
        + " ("
        + ciphertext.length
        + " bytes)]";
  }
}
