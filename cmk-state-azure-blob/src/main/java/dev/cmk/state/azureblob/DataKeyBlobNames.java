package dev.cmk.state.azureblob;

import dev.cmk.api.KeyReference;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The blob layout of {@link BlobDataKeyStore} under its prefix {@code P}:
 *
 * <pre>
 * P records/&lt;id&gt;                   the record's bytes (the source of truth)
 * P by-primary/&lt;h&gt;/&lt;t&gt;-&lt;id&gt;        an empty marker: record id was created at t
 *                                under the primary whose hash is h
 * </pre>
 *
 * <p>{@code h} is the SHA-256 (hex) of {@code providerId LF keyReference}; {@code t} is the
 * creation time in epoch milliseconds, inverted so that names sort newest first: {@code ~(ms XOR
 * 2^63)} as a 20-digit unsigned decimal (order-reversing over every {@code long}). Listing a
 * primary's markers therefore meets the newest record first, and ties in time go in ascending id
 * order.
 */
final class DataKeyBlobNames {
  private static final HexFormat HEX = HexFormat.of();
  private static final int TIME_DIGITS = 20;

  final String records;
  final String byPrimary;

  DataKeyBlobNames(String prefix) {
    this.records = prefix + "records/";
    this.byPrimary = prefix + "by-primary/";
  }

  String record(DataKeyId id) {
    return records + id.hex();
  }

  /** The id a record blob's name gives, or empty if the name is not of a record. */
  Optional<DataKeyId> recordId(String blobName) {
    if (!blobName.startsWith(records)) {
      return Optional.empty();
    }
    try {
      return Optional.of(DataKeyId.parse(blobName.substring(records.length())));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The folder of markers of records under this primary (ending in {@code /}). */
  String markers(String providerId, KeyReference primary) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest((providerId + "\n" + primary).getBytes(StandardCharsets.UTF_8));
      return byPrimary + HEX.formatHex(digest) + "/";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The marker of {@code record} under its current primary. */
  String marker(DataKeyRecord record) {
    return markers(record.primary().providerId(), record.primary().keyReference())
        + time(record.createdAt()) + "-" + record.id().hex();
  }

  /** A marker's creation time and record id, parsed from its name below its folder. */
  record Marker(Instant createdAt, DataKeyId id) {}

  /** Parses the part of a marker's name after its folder; empty if it is not one. */
  static Optional<Marker> parseMarker(String leaf) {
    int dash = leaf.indexOf('-');
    if (dash != TIME_DIGITS || leaf.length() != TIME_DIGITS + 1 + 2 * DataKeyId.LENGTH) {
      return Optional.empty();
    }
    try {
      long inverted = Long.parseUnsignedLong(leaf.substring(0, dash));
      long millis = ~inverted ^ Long.MIN_VALUE;
      return Optional.of(new Marker(Instant.ofEpochMilli(millis),
          DataKeyId.parse(leaf.substring(dash + 1))));
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      return Optional.empty();
    }
  }

  /** The sortable, newest-first form of a creation time. */
  static String time(Instant createdAt) {
    long inverted = ~(createdAt.toEpochMilli() ^ Long.MIN_VALUE);
    String digits = Long.toUnsignedString(inverted);
    return "0".repeat(TIME_DIGITS - digits.length()) + digits;
  }
}
