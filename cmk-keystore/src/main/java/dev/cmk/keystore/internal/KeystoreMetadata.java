package dev.cmk.keystore.internal;

import dev.cmk.api.KeyOperation;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The keystore's metadata: vault-like protection settings, the version counter, and per key its
 * deletion state and versions with their attributes. Kept inside the PKCS#12 file as one
 * password-protected secret entry, so that it is covered by the file's integrity MAC and replaced
 * together with the keys in one atomic move.
 *
 * <p>Serialized as a small line-oriented UTF-8 text (version 1):
 *
 * <pre>
 * cmk-keystore-metadata 1
 * purge-protection true
 * retention-days 90
 * counter 3
 * key {name} deleted={instant|-}
 * version {name} {version} bits={n} created={instant} enabled={true|false} not-before={instant|-} expires={instant|-} ops={OP,OP|-}
 * </pre>
 *
 * <p>Immutable and thread-safe; every change returns a new instance.
 *
 * @param purgeProtection deleted keys cannot be purged before their retention ends
 * @param retentionDays days a deleted key is kept
 * @param counter the last version number handed out
 * @param keys keys by name (case-sensitive)
 */
public record KeystoreMetadata(
    boolean purgeProtection, int retentionDays, long counter, Map<String, KeyEntry> keys) {

  /** The first line of every serialized metadata document. */
  static final String HEADER = "cmk-keystore-metadata 1";

  private static final Pattern NAME = Pattern.compile("[0-9a-zA-Z-]{1,127}");
  private static final Pattern VERSION = Pattern.compile("[0-9]{8,19}-[0-9a-f]{8}");

  /** Validates and copies. */
  public KeystoreMetadata {
    if (retentionDays < 1) {
      throw new IllegalArgumentException("retentionDays must be positive");
    }
    if (counter < 0) {
      throw new IllegalArgumentException("counter must not be negative");
    }
    keys = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(keys, "keys")));
  }

  /**
   * One key: its versions (oldest first; the last is the latest) and whether it is soft-deleted.
   *
   * @param name the key name
   * @param deletedOn when it was deleted, or {@code null} while active
   * @param versions the versions, oldest first, at least one
   */
  public record KeyEntry(String name, @Nullable Instant deletedOn, List<VersionEntry> versions) {
    /** Validates and copies. */
    public KeyEntry {
      Objects.requireNonNull(name, "name");
      versions = List.copyOf(versions);
      if (versions.isEmpty()) {
        throw new IllegalArgumentException("a key has at least one version");
      }
    }

    /** The latest (newest) version. */
    public VersionEntry latest() {
      return versions.get(versions.size() - 1);
    }

    /** Whether the key is soft-deleted. */
    public boolean deleted() {
      return deletedOn != null;
    }
  }

  /**
   * One version of a key and its mutable attributes.
   *
   * @param version the version string, {@code {counter}-{random}}, sortable by creation
   * @param bits RSA modulus size
   * @param createdOn creation time
   * @param enabled whether it may be used
   * @param notBefore start of validity, or {@code null}
   * @param expiresOn end of validity, or {@code null}
   * @param operations the operations it permits
   */
  public record VersionEntry(
      String version,
      int bits,
      Instant createdOn,
      boolean enabled,
      @Nullable Instant notBefore,
      @Nullable Instant expiresOn,
      Set<KeyOperation> operations) {
    /** Validates and copies. */
    public VersionEntry {
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(createdOn, "createdOn");
      operations = Set.copyOf(operations);
    }

    /** The PKCS#12 alias of this version's private key entry (aliases are case-insensitive). */
    public String alias() {
      return aliasOf(version);
    }

    /** A copy with another enabled flag. */
    public VersionEntry withEnabled(boolean value) {
      return new VersionEntry(version, bits, createdOn, value, notBefore, expiresOn, operations);
    }

    /** A copy with another start of validity. */
    public VersionEntry withNotBefore(@Nullable Instant value) {
      return new VersionEntry(version, bits, createdOn, enabled, value, expiresOn, operations);
    }

    /** A copy with another end of validity. */
    public VersionEntry withExpiresOn(@Nullable Instant value) {
      return new VersionEntry(version, bits, createdOn, enabled, notBefore, value, operations);
    }

    /** A copy with other operations. */
    public VersionEntry withOperations(Set<KeyOperation> value) {
      return new VersionEntry(version, bits, createdOn, enabled, notBefore, expiresOn, value);
    }
  }

  /**
   * The PKCS#12 alias of a version's private key entry.
   *
   * @param version a version string
   * @return the alias
   */
  public static String aliasOf(String version) {
    return "kek-" + version;
  }

  /**
   * Empty metadata for a new keystore.
   *
   * @param purgeProtection whether purge protection is on
   * @param retentionDays soft-delete retention
   * @return the metadata
   */
  public static KeystoreMetadata empty(boolean purgeProtection, int retentionDays) {
    return new KeystoreMetadata(purgeProtection, retentionDays, 0, Map.of());
  }

  /** A copy with {@code key} added or replaced. */
  public KeystoreMetadata withKey(KeyEntry key) {
    Map<String, KeyEntry> m = new TreeMap<>(keys);
    m.put(key.name(), key);
    return new KeystoreMetadata(purgeProtection, retentionDays, counter, m);
  }

  /** A copy without the key {@code name}. */
  public KeystoreMetadata withoutKey(String name) {
    Map<String, KeyEntry> m = new TreeMap<>(keys);
    m.remove(name);
    return new KeystoreMetadata(purgeProtection, retentionDays, counter, m);
  }

  /** A copy with the counter advanced by one. */
  public KeystoreMetadata withNextCounter() {
    return new KeystoreMetadata(purgeProtection, retentionDays, counter + 1, keys);
  }

  // ------------------------------------------------------------------------ serialization

  /**
   * Serializes to UTF-8 text.
   *
   * @return the bytes
   */
  public byte[] toBytes() {
    StringBuilder sb = new StringBuilder();
    sb.append(HEADER).append('\n');
    sb.append("purge-protection ").append(purgeProtection).append('\n');
    sb.append("retention-days ").append(retentionDays).append('\n');
    sb.append("counter ").append(counter).append('\n');
    for (KeyEntry k : keys.values()) {
      sb.append("key ").append(k.name()).append(" deleted=").append(instant(k.deletedOn()));
      sb.append('\n');
      for (VersionEntry v : k.versions()) {
        sb.append("version ").append(k.name()).append(' ').append(v.version());
        sb.append(" bits=").append(v.bits());
        sb.append(" created=").append(v.createdOn());
        sb.append(" enabled=").append(v.enabled());
        sb.append(" not-before=").append(instant(v.notBefore()));
        sb.append(" expires=").append(instant(v.expiresOn()));
        sb.append(" ops=").append(operations(v.operations()));
        sb.append('\n');
      }
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Parses what {@link #toBytes()} wrote.
   *
   * @param bytes the serialized metadata
   * @return the metadata
   * @throws IllegalArgumentException if the text is not valid metadata (the message never quotes
   *     the input)
   */
  public static KeystoreMetadata parse(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    String[] lines = text.split("\n", -1);
    try {
      if (lines.length < 5 || !HEADER.equals(lines[0]) || !lines[lines.length - 1].isEmpty()) {
        throw new IllegalArgumentException("header");
      }
      boolean purge = parseBoolean(value(lines[1], "purge-protection "));
      int retention = Integer.parseInt(value(lines[2], "retention-days "));
      long counter = Long.parseLong(value(lines[3], "counter "));
      Map<String, Instant> deleted = new LinkedHashMap<>();
      Map<String, List<VersionEntry>> versions = new LinkedHashMap<>();
      for (int i = 4; i < lines.length - 1; i++) {
        String[] t = lines[i].split(" ", -1);
        if (t[0].equals("key") && t.length == 3) {
          String name = name(t[1]);
          if (deleted.containsKey(name)) {
            throw new IllegalArgumentException("duplicate key");
          }
          deleted.put(name, parseInstant(value(t[2], "deleted=")));
          versions.put(name, new ArrayList<>());
        } else if (t[0].equals("version") && t.length == 9) {
          List<VersionEntry> list = versions.get(name(t[1]));
          if (list == null || !VERSION.matcher(t[2]).matches()) {
            throw new IllegalArgumentException("version");
          }
          list.add(
              new VersionEntry(
                  t[2],
                  Integer.parseInt(value(t[3], "bits=")),
                  Objects.requireNonNull(parseInstant(value(t[4], "created="))),
                  parseBoolean(value(t[5], "enabled=")),
                  parseInstant(value(t[6], "not-before=")),
                  parseInstant(value(t[7], "expires=")),
                  parseOperations(value(t[8], "ops="))));
        } else {
          throw new IllegalArgumentException("line");
        }
      }
      Map<String, KeyEntry> keys = new TreeMap<>();
      for (Map.Entry<String, List<VersionEntry>> e : versions.entrySet()) {
        keys.put(e.getKey(), new KeyEntry(e.getKey(), deleted.get(e.getKey()), e.getValue()));
      }
      return new KeystoreMetadata(purge, retention, counter, keys);
    } catch (RuntimeException e) {
      // NumberFormatException, DateTimeParseException, NPE, IAE: one message. Metadata holds no
      // secrets; the cause is kept for debugging.
      throw new IllegalArgumentException("keystore metadata is not valid", e);
    }
  }

  private static String value(String token, String prefix) {
    if (!token.startsWith(prefix)) {
      throw new IllegalArgumentException("expected " + prefix.trim());
    }
    return token.substring(prefix.length());
  }

  private static String name(String s) {
    if (!NAME.matcher(s).matches()) {
      throw new IllegalArgumentException("name");
    }
    return s;
  }

  private static boolean parseBoolean(String s) {
    if (s.equals("true")) {
      return true;
    }
    if (s.equals("false")) {
      return false;
    }
    throw new IllegalArgumentException("boolean");
  }

  private static String instant(@Nullable Instant i) {
    return i == null ? "-" : i.toString();
  }

  private static @Nullable Instant parseInstant(String s) {
    return s.equals("-") ? null : Instant.parse(s);
  }

  private static String operations(Set<KeyOperation> ops) {
    if (ops.isEmpty()) {
      return "-";
    }
    StringBuilder sb = new StringBuilder();
    for (KeyOperation op : EnumSet.copyOf(ops)) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(op.name());
    }
    return sb.toString();
  }

  private static Set<KeyOperation> parseOperations(String s) {
    if (s.equals("-")) {
      return Set.of();
    }
    Set<KeyOperation> ops = EnumSet.noneOf(KeyOperation.class);
    for (String op : s.split(",", -1)) {
      ops.add(KeyOperation.valueOf(op));
    }
    return ops;
  }
}
