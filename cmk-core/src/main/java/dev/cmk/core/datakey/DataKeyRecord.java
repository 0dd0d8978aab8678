package dev.cmk.core.datakey;

import dev.cmk.api.WrappedKey;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One shared data key as a {@link DataKeyStore} keeps it: the data key wrapped under one or more
 * key-encryption key versions, never the data key itself.
 *
 * <p>Immutable once created except for two things a store changes by conditional replace: the
 * wrappings (re-wrap adds one under a new key version, retiring an old version removes one) and
 * the count of writer slots handed out. The id, the creation time and the creator never change.
 * The first wrapping is the <em>primary</em>: the one the record was created under, until a
 * re-wrap puts a wrapping under the new version first. Readers try wrappings in order, and
 * writers look for a record to share by its primary ({@link DataKeyStore#newestWritable}).
 *
 * <p>Wrapped keys are not secret, but they are the only way to the data: a store must keep every
 * record whose envelopes are still stored (see {@code docs/envelope-format.md}).
 *
 * @param id the record's name and its data key's commitment
 * @param wrappings the data key wrapped under each key version, 1 to {@link #MAX_WRAPPINGS}, no two
 *     under the same provider and version; the first is the primary
 * @param createdAt when the record was made (the writer's clock), kept to the millisecond
 * @param createdBy who made it (a replica name; printable ASCII, at most 128 characters, may be
 *     empty)
 * @param writerSlots writer slots handed out so far: slots {@code 0 .. writerSlots-1} are taken
 */
public record DataKeyRecord(
    DataKeyId id, List<WrappedKey> wrappings, Instant createdAt, String createdBy,
    long writerSlots) {
  /** Most wrappings one record may carry. */
  public static final int MAX_WRAPPINGS = 16;
  /** Most writer slots one record hands out: slot numbers are 32-bit in a v2 header. */
  public static final long MAX_WRITER_SLOTS = 1L << 32;
  /** Longest {@code createdBy}. */
  public static final int MAX_CREATED_BY_LENGTH = 128;

  /**
   * Validates and copies.
   *
   * @param id the record's name
   * @param wrappings 1 to 16 wrappings, distinct by provider and version
   * @param createdAt creation time
   * @param createdBy creator, printable ASCII, at most 128 characters
   * @param writerSlots slots handed out, {@code 0 <= writerSlots <= 2^32}
   */
  public DataKeyRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(createdBy, "createdBy");
    createdAt = createdAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    wrappings = List.copyOf(wrappings);
    if (wrappings.isEmpty() || wrappings.size() > MAX_WRAPPINGS) {
      throw new IllegalArgumentException("a record has 1 to " + MAX_WRAPPINGS + " wrappings");
    }
    Set<String> seen = new HashSet<>();
    for (WrappedKey w : wrappings) {
      if (!seen.add(w.providerId() + ' ' + w.keyReference())) {
        throw new IllegalArgumentException("two wrappings under one key version: " + w
            .keyReference());
      }
    }
    if (createdBy.length() > MAX_CREATED_BY_LENGTH
        || !createdBy.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException("createdBy must be at most " + MAX_CREATED_BY_LENGTH
          + " printable ASCII characters");
    }
    if (writerSlots < 0 || writerSlots > MAX_WRITER_SLOTS) {
      throw new IllegalArgumentException("writerSlots out of range");
    }
  }

  /** {@return the first wrapping: the one readers prefer and writers share records by} */
  public WrappedKey primary() {
    return wrappings.get(0);
  }

  /**
   * This record with other wrappings (re-wrap, retire).
   *
   * @param next the new wrappings; the caller keeps the primary first unless it retires it
   * @return the changed record
   */
  public DataKeyRecord withWrappings(List<WrappedKey> next) {
    return new DataKeyRecord(id, next, createdAt, createdBy, writerSlots);
  }

  /** {@return this record with one more writer slot handed out} */
  public DataKeyRecord withOneMoreWriterSlot() {
    if (writerSlots >= MAX_WRITER_SLOTS) {
      throw new IllegalStateException("every writer slot of this record is taken");
    }
    return new DataKeyRecord(id, wrappings, createdAt, createdBy, writerSlots + 1);
  }

  /**
   * The record in the byte form stores keep (see {@link DataKeyRecordCodec}).
   *
   * @return the encoded record
   */
  public byte[] toBytes() {
    return DataKeyRecordCodec.encode(this);
  }

  /**
   * Decodes {@link #toBytes()}, strictly and bounded.
   *
   * @param bytes an encoded record
   * @return the record
   * @throws IllegalArgumentException if {@code bytes} is not a well-formed record
   */
  public static DataKeyRecord fromBytes(byte[] bytes) {
    return DataKeyRecordCodec.decode(bytes);
  }

  @Override
  public String toString() {
    return "DataKeyRecord[" + id + ", " + wrappings.size() + " wrapping(s), primary "
        + primary().keyReference() + ", created " + createdAt + " by '" + createdBy + "', "
        + writerSlots + " writer slot(s)]";
  }
}
