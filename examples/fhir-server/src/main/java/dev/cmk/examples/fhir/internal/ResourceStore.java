package dev.cmk.examples.fhir.internal;

import dev.cmk.core.EnvelopeCrypto;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Resource versions in a relational database, each version's JSON stored as one cmk envelope.
 *
 * <p>The same SQL on HSQLDB, H2 and PostgreSQL ({@link StoreSql}): {@code fhir_resource} (one row
 * per resource: current version, deleted flag, last updated), {@code fhir_resource_version} (one
 * row per version, with the envelope) and {@code fhir_identifier_index} (the current version's
 * identifier tokens, {@link BlindIndex}). Only the resource type, id, version number, last-updated
 * instant and deleted flag are stored in clear, to serve reads, history and {@code _id} / {@code
 * _lastUpdated} searches; identifiers only as keyed HMAC tokens; everything else, meta and
 * narrative included, is inside the envelope.
 *
 * <p><b>Security guarantees:</b> every envelope is encrypted with the associated data {@code
 * resourceType/id/version} ({@link #associatedData}), so a row copied onto another resource, id or
 * version fails to decrypt ({@link dev.cmk.api.InvalidCiphertextException}) instead of serving one
 * patient's data under another patient's id. Encryption happens before the database transaction
 * (or, for a conditional write, inside it before any row is written): when the key is not
 * accessible nothing is written.
 *
 * <p><b>Thread safety:</b> safe for concurrent use. Writes use optimistic concurrency on the
 * current version: two writers of the same resource cannot both create version {@code n + 1}; the
 * loser gets a {@link VersionConflictException}.
 */
public final class ResourceStore {
  /** Resource ids: FHIR's {@code [A-Za-z0-9\-\.]{1,64}}. */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

  /** The clear index columns of one version. */
  public record VersionKey(
      String resourceType, String id, long version, Instant lastUpdated, boolean deleted) {
    /** Validates. */
    public VersionKey {
      Objects.requireNonNull(resourceType, "resourceType");
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(lastUpdated, "lastUpdated");
      if (version < 1) {
        throw new IllegalArgumentException("version must be at least 1");
      }
    }
  }

  /** A version read back: its index columns and, unless deleted, the decrypted JSON. */
  public record StoredVersion(VersionKey key, byte[] json) {
    /** Validates and copies. */
    public StoredVersion {
      Objects.requireNonNull(key, "key");
      json = json == null ? null : json.clone();
    }

    /** A copy of the JSON; empty for a deletion. */
    public Optional<byte[]> jsonBytes() {
      return Optional.ofNullable(json).map(byte[]::clone);
    }

    @Override
    public byte[] json() {
      return json == null ? null : json.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof StoredVersion
          && ((StoredVersion) o).key.equals(key)
          && java.util.Arrays.equals(((StoredVersion) o).json, json);
    }

    @Override
    public int hashCode() {
      return key.hashCode() * 31 + java.util.Arrays.hashCode(json);
    }

    @Override
    public String toString() {
      return "StoredVersion[" + key + ", " + (json == null ? "deleted" : json.length + " bytes")
          + "]";
    }
  }

  /** Another writer changed the resource first, or the id is already taken. */
  public static final class VersionConflictException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    VersionConflictException(String message) {
      super(message);
    }
  }

  /** The database failed; the message names the operation, the cause is the driver's. */
  public static final class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StorageException(String message, SQLException cause) {
      super(message, cause);
    }
  }

  private final DataSource dataSource;
  private final EnvelopeCrypto crypto;

  /**
   * @param dataSource the database
   * @param crypto encrypts and decrypts the resource JSON
   */
  public ResourceStore(DataSource dataSource, EnvelopeCrypto crypto) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.crypto = Objects.requireNonNull(crypto, "crypto");
  }

  /**
   * The associated data that binds an envelope to one resource version.
   *
   * @param resourceType e.g. {@code Patient}
   * @param id the resource id
   * @param version the version number
   * @return {@code resourceType/id/version} in UTF-8
   */
  public static byte[] associatedData(String resourceType, String id, long version) {
    return (resourceType + "/" + id + "/" + version).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Creates the tables if they do not exist.
   *
   * @throws StorageException if the database refuses
   */
  public void createSchema() {
    try (Connection c = dataSource.getConnection()) {
      StoreSql.createSchema(c);
    } catch (SQLException e) {
      throw new StorageException("creating the schema failed", e);
    }
  }

  /**
   * The current version of a resource, deleted or not.
   *
   * @param resourceType the type
   * @param id the id
   * @return the current version's index columns, or empty if the resource never existed
   * @throws StorageException if the database fails
   */
  public Optional<VersionKey> current(String resourceType, String id) {
    try (Connection c = dataSource.getConnection()) {
      return IndexQueries.current(c, resourceType, id);
    } catch (SQLException e) {
      throw new StorageException("reading the current version failed", e);
    }
  }

  /**
   * Writes version {@code expectedCurrent + 1} of a resource (version 1 when {@code
   * expectedCurrent} is 0, i.e. the resource is new). The JSON is encrypted first, bound to the
   * new version; a {@code null} JSON records a deletion.
   *
   * @param resourceType the type
   * @param id the id
   * @param expectedCurrent the version the caller read as current, 0 for a new resource
   * @param lastUpdated when the version was made
   * @param json the resource JSON, or {@code null} for a deletion
   * @return the new version's index columns
   * @throws VersionConflictException if the current version is no longer {@code expectedCurrent}
   * @throws StorageException if the database fails
   * @throws dev.cmk.api.CmkException if the JSON cannot be encrypted (key not accessible)
   */
  public VersionKey write(
      String resourceType, String id, long expectedCurrent, Instant lastUpdated, byte[] json) {
    return write(resourceType, id, expectedCurrent, lastUpdated, json, Set.of());
  }

  /**
   * As {@link #write(String, String, long, Instant, byte[])}, and replaces the resource's rows in
   * the identifier index with {@code tokens} (none for a deletion), in the same transaction.
   *
   * @param tokens the blind-index tokens of the new version's identifiers ({@link BlindIndex})
   */
  public VersionKey write(String resourceType, String id, long expectedCurrent,
      Instant lastUpdated, byte[] json, Set<String> tokens) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        VersionKey key = writeIn(c, resourceType, id, expectedCurrent, lastUpdated, json, tokens);
        c.commit();
        return key;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw failure(e, resourceType, id);
    }
  }

  /** Translates a failed write: a duplicate key is a conflict, anything else a storage failure. */
  static RuntimeException failure(SQLException e, String resourceType, String id) {
    if (StoreSql.isDuplicateKey(e)) {
      return new VersionConflictException(
          resourceType + "/" + id + " was changed by another request; retry");
    }
    return new StorageException("writing a resource version failed", e);
  }

  /** The write inside the caller's transaction (not committed here). */
  VersionKey writeIn(Connection c, String resourceType, String id, long expectedCurrent,
      Instant lastUpdated, byte[] json, Set<String> tokens) throws SQLException {
    Objects.requireNonNull(resourceType, "resourceType");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(lastUpdated, "lastUpdated");
    Objects.requireNonNull(tokens, "tokens");
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("resource ids are 1-64 of [A-Za-z0-9-.]");
    }
    long version = expectedCurrent + 1;
    boolean deleted = json == null;
    byte[] envelope =
        deleted ? null : crypto.encrypt(json, associatedData(resourceType, id, version));
    VersionKey key = new VersionKey(resourceType, id, version, lastUpdated, deleted);
    if (expectedCurrent == 0) {
      insertResource(c, key);
    } else {
      updateResource(c, key, expectedCurrent);
    }
    insertVersion(c, key, envelope);
    BlindIndex.replaceTokens(c, resourceType, id, deleted ? Set.of() : tokens);
    return key;
  }

  private static void insertResource(Connection c, VersionKey key) throws SQLException {
    String sql =
        "INSERT INTO fhir_resource (resource_type, resource_id, current_version, last_updated,"
            + " deleted) VALUES (?, ?, ?, ?, ?)";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      StoreSql.bindVersionKey(ps, key);
      ps.executeUpdate();
    }
  }

  private static void updateResource(Connection c, VersionKey key, long expectedCurrent)
      throws SQLException {
    String sql =
        "UPDATE fhir_resource SET current_version = ?, last_updated = ?, deleted = ?"
            + " WHERE resource_type = ? AND resource_id = ? AND current_version = ?";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, key.version());
      ps.setObject(2, timestamp(key.lastUpdated()));
      ps.setBoolean(3, key.deleted());
      ps.setString(4, key.resourceType());
      ps.setString(5, key.id());
      ps.setLong(6, expectedCurrent);
      if (ps.executeUpdate() != 1) {
        throw new VersionConflictException(
            key.resourceType() + "/" + key.id() + " is no longer at version " + expectedCurrent);
      }
    }
  }

  private static void insertVersion(Connection c, VersionKey key, byte[] envelope)
      throws SQLException {
    String sql =
        "INSERT INTO fhir_resource_version (resource_type, resource_id, version_id, last_updated,"
            + " deleted, envelope) VALUES (?, ?, ?, ?, ?, ?)";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      StoreSql.bindVersionKey(ps, key);
      ps.setBytes(6, envelope);
      ps.executeUpdate();
    }
  }

  /**
   * Reads and decrypts one version.
   *
   * @param resourceType the type
   * @param id the id
   * @param version the version
   * @return the version, or empty if it does not exist
   * @throws StorageException if the database fails
   * @throws dev.cmk.api.InvalidCiphertextException if the stored envelope does not belong to this
   *     version (moved or tampered with)
   * @throws dev.cmk.api.CmkException if the key is not accessible
   */
  public Optional<StoredVersion> read(String resourceType, String id, long version) {
    try (Connection c = dataSource.getConnection()) {
      return readIn(c, resourceType, id, version);
    } catch (SQLException e) {
      throw new StorageException("reading a resource version failed", e);
    }
  }

  /** The read on the caller's connection (inside its transaction). */
  Optional<StoredVersion> readIn(Connection c, String resourceType, String id, long version)
      throws SQLException {
    String sql =
        "SELECT last_updated, deleted, envelope FROM fhir_resource_version"
            + " WHERE resource_type = ? AND resource_id = ? AND version_id = ?";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, resourceType);
      ps.setString(2, id);
      ps.setLong(3, version);
      byte[] envelope;
      VersionKey key;
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        key = new VersionKey(resourceType, id, version, instant(rs, 1), rs.getBoolean(2));
        envelope = rs.getBytes(3);
      }
      return Optional.of(open(key, envelope));
    }
  }

  /**
   * Reads and decrypts versions listed by {@link #history} or {@link #search}, in the given order.
   *
   * @param keys the versions
   * @return one entry per key that still exists
   * @throws StorageException if the database fails
   * @throws dev.cmk.api.CmkException if a version does not decrypt or the key is not accessible
   */
  public List<StoredVersion> readAll(Collection<VersionKey> keys) {
    List<StoredVersion> out = new ArrayList<>(keys.size());
    for (VersionKey k : keys) {
      read(k.resourceType(), k.id(), k.version()).ifPresent(out::add);
    }
    return out;
  }

  /**
   * Every version of one resource, newest first, without decrypting anything.
   *
   * @param resourceType the type
   * @param id the id
   * @return the versions; empty if the resource never existed
   * @throws StorageException if the database fails
   */
  public List<VersionKey> history(String resourceType, String id) {
    return IndexQueries.history(dataSource, resourceType, id);
  }

  /**
   * The current, not deleted versions of a type, filtered by ids and last-updated conditions (both
   * optional), oldest update first; nothing is decrypted.
   *
   * @param resourceType the type
   * @param ids ids to match (any of them), or empty for all
   * @param lastUpdated conditions that must all hold; one holds when the last-updated instant lies
   *     in any of its ranges (an empty one never holds); empty for no condition
   * @return the matching current versions
   * @throws StorageException if the database fails
   */
  public List<VersionKey> search(
      String resourceType, Collection<String> ids, List<List<InstantRange>> lastUpdated) {
    return search(resourceType, ids, lastUpdated, List.of());
  }

  /**
   * As {@link #search(String, Collection, List)}, and each list of {@code identifierTokens} must
   * match one of the resource's blind-index tokens ({@link BlindIndex}).
   *
   * @param identifierTokens conditions that must all hold, each any of its tokens (non-empty)
   */
  public List<VersionKey> search(String resourceType, Collection<String> ids,
      List<List<InstantRange>> lastUpdated, List<List<String>> identifierTokens) {
    return IndexQueries.search(dataSource, resourceType, ids, lastUpdated, identifierTokens);
  }

  private StoredVersion open(VersionKey key, byte[] envelope) {
    if (key.deleted()) {
      return new StoredVersion(key, null);
    }
    if (envelope == null) {
      throw new dev.cmk.api.InvalidCiphertextException();
    }
    return new StoredVersion(
        key, crypto.decrypt(envelope, associatedData(key.resourceType(), key.id(), key.version())));
  }

  private static OffsetDateTime timestamp(Instant i) {
    return StoreSql.timestamp(i);
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    return StoreSql.instant(rs, column);
  }
}
