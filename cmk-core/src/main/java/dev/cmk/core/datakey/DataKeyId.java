package dev.cmk.core.datakey;

import java.util.HexFormat;
import java.util.Objects;

/**
 * The name of a data-key record: 32 bytes that a v2 envelope header carries, written as 64
 * lower-case hex digits in stores.
 *
 * <p>The id is {@code HMAC-SHA256(DK, "cmk/v2/data-key-id")} of the record's data key {@code DK},
 * so it also commits to that key: a reader that unwraps a record checks that the data key it got
 * gives this id, and refuses it otherwise. Two records cannot share an id unless their data keys
 * are equal, and no store, wrapping or provider can make one id stand for two data keys. The id
 * reveals nothing about the key (a PRF output).
 *
 * @param hex the id as 64 lower-case hex digits
 */
public record DataKeyId(String hex) implements Comparable<DataKeyId> {
  /** Bytes in an id. */
  public static final int LENGTH = 32;

  private static final HexFormat HEX = HexFormat.of();

  /**
   * Checks the form.
   *
   * @param hex 64 lower-case hex digits
   */
  public DataKeyId {
    Objects.requireNonNull(hex, "hex");
    if (hex.length() != 2 * LENGTH
        || !hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      throw new IllegalArgumentException("a data key id is 64 lower-case hex digits");
    }
  }

  /**
   * The id with these bytes.
   *
   * @param bytes exactly {@link #LENGTH} bytes
   * @return the id
   */
  public static DataKeyId of(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException("a data key id is " + LENGTH + " bytes");
    }
    return new DataKeyId(HEX.formatHex(bytes));
  }

  /**
   * Parses the hex form.
   *
   * @param hex 64 lower-case hex digits
   * @return the id
   * @throws IllegalArgumentException if {@code hex} is not of that form
   */
  public static DataKeyId parse(String hex) {
    return new DataKeyId(hex);
  }

  /** {@return the id's 32 bytes (a copy)} */
  public byte[] bytes() {
    return HEX.parseHex(hex);
  }

  @Override
  public int compareTo(DataKeyId other) {
    return hex.compareTo(other.hex);
  }

  @Override
  public String toString() {
    return hex;
  }
}
