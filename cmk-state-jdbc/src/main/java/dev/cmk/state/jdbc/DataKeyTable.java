package dev.cmk.state.jdbc;

import dev.cmk.api.KeyReference;
import dev.cmk.api.ProviderIds;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.StoredDataKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The data-key table: its name, DDL, shape check, statements and row mapping. Portable SQL that
 * PostgreSQL and H2 both run unchanged ({@code FETCH FIRST n ROWS ONLY}, not {@code LIMIT}).
 */
final class DataKeyTable {
  /**
   * {@code [schema.]name}; the name at most 52 characters, so that the index name {@code
   * <name>_by_primary} fits PostgreSQL's 63.
   */
  static final Pattern NAME =
      Pattern.compile("([A-Za-z_][A-Za-z0-9_]{0,62}\\.)?[A-Za-z_][A-Za-z0-9_]{0,51}");

  /** The leading columns of the index {@code newestWritable} reads. */
  static final List<String> INDEX_COLUMNS = List.of("provider_id", "key_reference", "created_at");

  private static final Map<String, String> COLUMNS = new LinkedHashMap<>();

  static {
    COLUMNS.put("id", "text");
    COLUMNS.put("provider_id", "text");
    COLUMNS.put("key_reference", "text");
    COLUMNS.put("created_at", "timestamptz");
    COLUMNS.put("revision", "bigint");
    COLUMNS.put("record", "bytes");
  }

  private static final String ROW = "id, revision, record";

  final String name;
  final String ddl;
  final String select;
  final String insert;
  final String update;
  final String newest;
  final String firstPage;
  final String nextPage;
  private final String indexName;

  DataKeyTable(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("table must be an unquoted SQL identifier ([schema.]name"
          + " of letters, digits and _; the name at most 52 characters, the schema 63)");
    }
    this.name = name;
    this.indexName = name.substring(name.indexOf('.') + 1) + "_by_primary";
    this.ddl = "CREATE TABLE IF NOT EXISTS " + name + " ("
        + " id VARCHAR(" + 2 * DataKeyId.LENGTH + ") NOT NULL PRIMARY KEY,"
        + " provider_id VARCHAR(" + ProviderIds.MAX_LENGTH + ") NOT NULL,"
        + " key_reference VARCHAR(" + KeyReference.MAX_LENGTH + ") NOT NULL,"
        + " created_at TIMESTAMP(3) WITH TIME ZONE NOT NULL,"
        + " revision BIGINT NOT NULL,"
        + " record BYTEA NOT NULL)";
    this.select = "SELECT " + ROW + " FROM " + name + " WHERE id = ?";
    this.insert = "INSERT INTO " + name + " (id, provider_id, key_reference, created_at,"
        + " revision, record) VALUES (?, ?, ?, ?, 1, ?)";
    this.update = "UPDATE " + name + " SET revision = revision + 1, provider_id = ?,"
        + " key_reference = ?, record = ? WHERE id = ? AND revision = ?";
    this.newest = "SELECT " + ROW + " FROM " + name + " WHERE provider_id = ? AND key_reference = ?"
        + " AND created_at >= ? ORDER BY created_at DESC, id DESC FETCH FIRST 1 ROWS ONLY";
    this.firstPage = "SELECT " + ROW + " FROM " + name + " ORDER BY id FETCH FIRST ? ROWS ONLY";
    this.nextPage = "SELECT " + ROW + " FROM " + name
        + " WHERE id > ? ORDER BY id FETCH FIRST ? ROWS ONLY";
  }

  /** The index DDL: unqualified on PostgreSQL (always in the table's schema), qualified on H2. */
  private String indexDdl(Connection c) throws SQLException {
    int dot = name.indexOf('.');
    boolean qualify = dot > 0 && "H2".equals(c.getMetaData().getDatabaseProductName());
    return "CREATE INDEX IF NOT EXISTS " + (qualify ? name.substring(0, dot + 1) : "") + indexName
        + " ON " + name + " (" + String.join(", ", INDEX_COLUMNS) + ")";
  }

  /**
   * Creates the table and its index if missing (when asked), then checks the shape: columns,
   * sizes, primary key, index, and durable commits on H2.
   *
   * @throws IllegalStateException if the table is missing or has the wrong shape
   * @throws SQLException if the database fails
   */
  void createOrValidate(Connection c, boolean create) throws SQLException {
    if (create) {
      try (Statement s = c.createStatement()) {
        s.execute(ddl);
        s.execute(indexDdl(c));
      }
      FleetTable.commitIfNeeded(c);
    }
    SqlCatalog.Columns found;
    try {
      found = SqlCatalog.columns(c, name);
    } catch (SQLException e) {
      if (!create && "42".equals(FleetTable.sqlStateClass(e))) {
        throw new IllegalStateException("data-key table " + name + " does not exist (create it"
            + " with the DDL in the cmk-state-jdbc README, or let the store create it)");
      }
      throw e;
    }
    if (!found.kinds().equals(COLUMNS)) {
      throw new IllegalStateException("data-key table " + name + " has the wrong shape: expected"
          + " columns " + COLUMNS + ", found " + found.kinds()
          + " (see the cmk-state-jdbc README)");
    }
    if (found.sizes().get("id") < 2 * DataKeyId.LENGTH
        || found.sizes().get("provider_id") < ProviderIds.MAX_LENGTH
        || found.sizes().get("key_reference") < KeyReference.MAX_LENGTH) {
      throw new IllegalStateException("data-key table " + name + " has the wrong shape: id must"
          + " hold " + 2 * DataKeyId.LENGTH + " characters, provider_id " + ProviderIds.MAX_LENGTH
          + " and key_reference " + KeyReference.MAX_LENGTH);
    }
    SqlCatalog.checkDurable(c, "a data-key record");
    if (!SqlCatalog.primaryKey(c, name).equals(List.of("id"))) {
      throw new IllegalStateException("data-key table " + name + " has the wrong shape: id must"
          + " be its primary key");
    }
    if (!SqlCatalog.hasIndexOn(c, name, INDEX_COLUMNS)) {
      throw new IllegalStateException("data-key table " + name + " has no index on ("
          + String.join(", ", INDEX_COLUMNS) + "): writers sharing records would scan the table"
          + " (create it with the DDL in the cmk-state-jdbc README)");
    }
  }

  /** Binds provider id, key reference (the record's primary) to {@code from}, {@code from+1}. */
  static void bindPrimary(PreparedStatement ps, int from, DataKeyRecord r) throws SQLException {
    ps.setString(from, r.primary().providerId());
    ps.setString(from + 1, r.primary().keyReference().toString());
  }

  static OffsetDateTime utc(Instant t) {
    return t.atOffset(ZoneOffset.UTC);
  }

  /**
   * The row at the cursor ({@code id, revision, record}).
   *
   * @throws IllegalArgumentException if the bytes are not a well-formed record of the row's id
   */
  static StoredDataKey read(ResultSet rs) throws SQLException {
    String id = rs.getString(1);
    long revision = rs.getLong(2);
    DataKeyRecord record = DataKeyRecord.fromBytes(rs.getBytes(3));
    if (!record.id().hex().equals(id)) {
      throw new IllegalArgumentException("the data-key row " + id + " holds the record of "
          + record.id());
    }
    return new StoredDataKey(record, Long.toString(revision));
  }
}
