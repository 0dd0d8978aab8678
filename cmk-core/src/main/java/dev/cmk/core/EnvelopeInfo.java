package dev.cmk.core;

import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.core.internal.BodyLayout;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.internal.CompactHeader;
import dev.cmk.core.internal.EnvelopeHeader;
import dev.cmk.core.internal.Header;
import dev.cmk.core.internal.Headers;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What an envelope's header says, read without unwrapping anything: format, the key-encryption
 * key version and wrapped data key (format 1) or the data-key record (format 2), sizes. Read with
 * {@link #of(byte[])} or {@link #read(InputStream)}; {@link #envelopeLength} and {@link
 * #plaintextLength} convert between the two sizes. Nothing here is authenticated until the
 * envelope is decrypted.
 *
 * @param formatVersion envelope format version (1 or 2)
 * @param suite algorithm suite name
 * @param key the key-encryption key fields of a format 1 header; empty for format 2
 * @param dataKeyId the data-key record a format 2 header names; empty for format 1
 * @param headerLength header length in bytes
 * @param segmentSize plaintext bytes per segment
 * @param envelopeLength total envelope length, when the whole envelope was given
 * @param plaintextLength plaintext length, when the whole envelope was given
 */
public record EnvelopeInfo(
    int formatVersion,
    String suite,
    Optional<KeyFields> key,
    Optional<DataKeyId> dataKeyId,
    int headerLength,
    int segmentSize,
    OptionalLong envelopeLength,
    OptionalLong plaintextLength) {

  /** Name of suite 1. */
  public static final String SUITE_1 = "AES-256-GCM/HMAC-SHA256-KDF/HMAC-SHA256-commit";
  /** Name of suite 2 (format 2). */
  public static final String SUITE_2 = "AES-256-GCM/HMAC-SHA256-slot-KDF/header-AAD/id-commit";

  /**
   * The fields a format 1 header names its key-encryption key and wrapped data key with.
   *
   * @param providerId id of the key provider that wrapped the data key
   * @param keyReference the key-encryption key, with version
   * @param wrapAlgorithm how the data key was wrapped
   * @param wrappedKeyLength length of the wrapped data key in bytes
   */
  public record KeyFields(String providerId, KeyReference keyReference,
      WrapAlgorithm wrapAlgorithm, int wrappedKeyLength) {
    /**
     * Validates that no field is null.
     *
     * @param providerId id of the key provider that wrapped the data key
     * @param keyReference the key-encryption key, with version
     * @param wrapAlgorithm how the data key was wrapped
     * @param wrappedKeyLength length of the wrapped data key in bytes
     */
    public KeyFields {
      Objects.requireNonNull(providerId, "providerId");
      Objects.requireNonNull(keyReference, "keyReference");
      Objects.requireNonNull(wrapAlgorithm, "wrapAlgorithm");
    }
  }

  /**
   * Validates that no field is null and that exactly one of {@code key} and {@code dataKeyId} is
   * present.
   *
   * @param formatVersion envelope format version (1 or 2)
   * @param suite algorithm suite name
   * @param key the key-encryption key fields of a format 1 header
   * @param dataKeyId the data-key record of a format 2 header
   * @param headerLength header length in bytes
   * @param segmentSize plaintext bytes per segment
   * @param envelopeLength total envelope length, when the whole envelope was given
   * @param plaintextLength plaintext length, when the whole envelope was given
   */
  public EnvelopeInfo {
    Objects.requireNonNull(suite, "suite");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(dataKeyId, "dataKeyId");
    Objects.requireNonNull(envelopeLength, "envelopeLength");
    Objects.requireNonNull(plaintextLength, "plaintextLength");
    if (key.isPresent() == dataKeyId.isPresent()) {
      throw new IllegalArgumentException("a header names either a key or a data-key record");
    }
  }

  private KeyFields keyFields() {
    return key.orElseThrow(() -> new IllegalStateException("a format " + formatVersion
        + " envelope names a data-key record (dataKeyId()), not a key version"));
  }

  /**
   * {@return the id of the key provider that wrapped the data key (format 1)}
   *
   * @throws IllegalStateException for a format 2 envelope, whose header names a record instead
   */
  public String providerId() {
    return keyFields().providerId();
  }

  /**
   * {@return the key-encryption key version that wrapped the data key (format 1)}
   *
   * @throws IllegalStateException for a format 2 envelope, whose header names a record instead
   */
  public KeyReference keyReference() {
    return keyFields().keyReference();
  }

  /**
   * {@return how the data key was wrapped (format 1)}
   *
   * @throws IllegalStateException for a format 2 envelope, whose header names a record instead
   */
  public WrapAlgorithm wrapAlgorithm() {
    return keyFields().wrapAlgorithm();
  }

  /**
   * {@return the wrapped data key's length in bytes (format 1)}
   *
   * @throws IllegalStateException for a format 2 envelope, whose header names a record instead
   */
  public int wrappedKeyLength() {
    return keyFields().wrappedKeyLength();
  }

  /** {@return bytes the envelope adds to the plaintext, when the whole envelope was given} */
  public OptionalLong overhead() {
    return envelopeLength.isPresent() && plaintextLength.isPresent()
        ? OptionalLong.of(envelopeLength.getAsLong() - plaintextLength.getAsLong())
        : OptionalLong.empty();
  }

  /**
   * Reads an envelope's header fields without unwrapping anything.
   *
   * @param envelope a whole envelope
   * @return what the header says, with lengths
   * @throws dev.cmk.api.InvalidCiphertextException if the envelope is malformed or its length is
   *     impossible for its header
   * @throws dev.cmk.api.UnsupportedFormatException if it is of a format this build cannot read
   */
  public static EnvelopeInfo of(byte[] envelope) {
    Objects.requireNonNull(envelope, "envelope");
    return from(Headers.of(envelope), OptionalLong.of(envelope.length));
  }

  /**
   * Reads the header at the start of {@code source}, consuming exactly the header bytes.
   *
   * @param source an envelope stream
   * @return what the header says (no lengths)
   * @throws IOException if reading fails
   * @throws dev.cmk.api.InvalidCiphertextException if the header is malformed or truncated
   * @throws dev.cmk.api.UnsupportedFormatException if it is of a format this build cannot read
   */
  public static EnvelopeInfo read(InputStream source) throws IOException {
    Objects.requireNonNull(source, "source");
    return from(Headers.read(source), OptionalLong.empty());
  }

  /**
   * Envelope length for a plaintext of {@code plaintextLength} bytes with a header of {@code
   * headerLength} bytes and the given segment size: header + plaintext + 16 bytes per segment.
   *
   * @throws IllegalArgumentException if a length is negative or the segment size is not positive
   * @param headerLength header bytes
   * @param plaintextLength plaintext bytes
   * @param segmentSize plaintext bytes per segment
   * @return envelope bytes
   */
  public static long envelopeLength(long plaintextLength, int headerLength, int segmentSize) {
    if (plaintextLength < 0 || headerLength < 0 || segmentSize <= 0) {
      throw new IllegalArgumentException("lengths must not be negative, segment size positive");
    }
    return headerLength + BodyLayout.bodyLength(plaintextLength, segmentSize);
  }

  /**
   * The inverse of {@link #envelopeLength}: the plaintext length of an envelope of {@code
   * envelopeLength} bytes with this header length and segment size.
   *
   * @throws dev.cmk.api.InvalidCiphertextException if no plaintext length gives that envelope
   *     length
   * @throws IllegalArgumentException if the segment size is not positive
   * @param envelopeLength envelope bytes
   * @param headerLength header bytes
   * @param segmentSize plaintext bytes per segment
   * @return plaintext bytes
   */
  public static long plaintextLength(long envelopeLength, int headerLength, int segmentSize) {
    if (segmentSize <= 0 || headerLength < 0) {
      throw new IllegalArgumentException("segment size must be positive");
    }
    return BodyLayout.plaintextLength(envelopeLength - headerLength, segmentSize);
  }

  /** What {@code header} says, with the lengths when the envelope's length is known. */
  static EnvelopeInfo from(Header header, OptionalLong envelopeLength) {
    OptionalLong plaintext = envelopeLength.isPresent()
        ? OptionalLong.of(plaintextLength(envelopeLength.getAsLong(), header.length(),
            header.segmentSize()))
        : OptionalLong.empty();
    if (header instanceof CompactHeader compact) {
      return new EnvelopeInfo(compact.formatVersion(), SUITE_2, Optional.empty(),
          Optional.of(compact.dataKeyId()), compact.length(), compact.segmentSize(),
          envelopeLength, plaintext);
    }
    EnvelopeHeader v1 = (EnvelopeHeader) header;
    KeyFields key = new KeyFields(v1.providerId(), v1.keyReference(), v1.wrapAlgorithm(),
        v1.wrappedKeyLength());
    return new EnvelopeInfo(v1.formatVersion(), SUITE_1, Optional.of(key), Optional.empty(),
        v1.length(), v1.segmentSize(), envelopeLength, plaintext);
  }
}
