package dev.cmk.core;

import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What an envelope's header says, read without unwrapping anything: format, key-encryption key and
 * version, wrap algorithm, sizes. Produced by {@link EnvelopeCrypto#inspect(byte[])}. Nothing here
 * is authenticated until the envelope is decrypted.
 *
 * @param formatVersion envelope format version (1)
 * @param suite algorithm suite name
 * @param providerId id of the key provider that wrapped the data key
 * @param keyReference the key-encryption key, with version
 * @param wrapAlgorithm how the data key was wrapped
 * @param wrappedKeyLength length of the wrapped data key in bytes
 * @param headerLength header length in bytes
 * @param segmentSize plaintext bytes per segment
 * @param envelopeLength total envelope length, when the whole envelope was given
 * @param plaintextLength plaintext length, when the whole envelope was given
 */
public record EnvelopeInfo(
    int formatVersion,
    String suite,
    String providerId,
    KeyReference keyReference,
    WrapAlgorithm wrapAlgorithm,
    int wrappedKeyLength,
    int headerLength,
    int segmentSize,
    OptionalLong envelopeLength,
    OptionalLong plaintextLength) {

  /** Name of suite 1. */
  public static final String SUITE_1 = "AES-256-GCM/HMAC-SHA256-KDF/HMAC-SHA256-commit";

  /**
   * Validates that no field is null.
   *
   * @param formatVersion envelope format version (1)
   * @param suite algorithm suite name
   * @param providerId id of the key provider that wrapped the data key
   * @param keyReference the key-encryption key, with version
   * @param wrapAlgorithm how the data key was wrapped
   * @param wrappedKeyLength length of the wrapped data key in bytes
   * @param headerLength header length in bytes
   * @param segmentSize plaintext bytes per segment
   * @param envelopeLength total envelope length, when the whole envelope was given
   * @param plaintextLength plaintext length, when the whole envelope was given
   */
  public EnvelopeInfo {
    Objects.requireNonNull(suite, "suite");
    Objects.requireNonNull(providerId, "providerId");
    Objects.requireNonNull(keyReference, "keyReference");
    Objects.requireNonNull(wrapAlgorithm, "wrapAlgorithm");
    Objects.requireNonNull(envelopeLength, "envelopeLength");
    Objects.requireNonNull(plaintextLength, "plaintextLength");
  }

  /** {@return bytes the envelope adds to the plaintext, when the whole envelope was given} */
  public OptionalLong overhead() {
    return envelopeLength.isPresent() && plaintextLength.isPresent()
        ? OptionalLong.of(envelopeLength.getAsLong() - plaintextLength.getAsLong())
        : OptionalLong.empty();
  }
}
