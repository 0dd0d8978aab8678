package dev.cmk.examples.fhir.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The schema and the small JDBC helpers shared by {@link ResourceStore}, {@link BlindIndex} and
 * {@link ConditionalOperations}: the same SQL on HSQLDB, H2 and PostgreSQL.
 */
final class StoreSql {
  /** The binary column type; PostgreSQL calls it BYTEA. */
  private static final String BINARY = "@BINARY@";

  private static final String[] SCHEMA = {
    "CREATE TABLE IF NOT EXISTS fhir_resource ("
        + " resource_type VARCHAR(64) NOT NULL,"
        + " resource_id VARCHAR(64) NOT NULL,"
        + " current_version BIGINT NOT NULL,"
        + " last_updated TIMESTAMP(3) WITH TIME ZONE NOT NULL,"
        + " deleted BOOLEAN NOT NULL,"
        + " PRIMARY KEY (resource_type, resource_id))",
    "CREATE INDEX IF NOT EXISTS fhir_resource_by_updated"
        + " ON fhir_resource (resource_type, last_updated)",
    "CREATE TABLE IF NOT EXISTS fhir_resource_version ("
        + " resource_type VARCHAR(64) NOT NULL,"
        + " resource_id VARCHAR(64) NOT NULL,"
        + " version_id BIGINT NOT NULL,"
        + " last_updated TIMESTAMP(3) WITH TIME ZONE NOT NULL,"
        + " deleted BOOLEAN NOT NULL,"
        + " envelope " + BINARY + ","
        + " PRIMARY KEY (resource_type, resource_id, version_id))",
    // The blind index of the current versions' identifiers: HMAC tokens, never the values.
    "CREATE TABLE IF NOT EXISTS fhir_identifier_index ("
        + " resource_type VARCHAR(64) NOT NULL,"
        + " resource_id VARCHAR(64) NOT NULL,"
        + " token CHAR(64) NOT NULL,"
        + " PRIMARY KEY (resource_type, token, resource_id))",
    "CREATE INDEX IF NOT EXISTS fhir_identifier_by_resource"
        + " ON fhir_identifier_index (resource_type, resource_id)",
    // The blind index's HMAC key, as a cmk envelope (one row).
    "CREATE TABLE IF NOT EXISTS fhir_index_key ("
        + " key_id INTEGER NOT NULL PRIMARY KEY,"
        + " envelope " + BINARY + " NOT NULL)",
    // One row per resource type, updated by every conditional write to serialize them.
    "CREATE TABLE IF NOT EXISTS fhir_conditional_lock ("
        + " resource_type VARCHAR(64) NOT NULL PRIMARY KEY,"
        + " acquisitions BIGINT NOT NULL)"
  };

  private StoreSql() {}

  /** Creates the tables that do not exist yet. */
  static void createSchema(Connection c) throws SQLException {
    String binary = "PostgreSQL".equals(c.getMetaData().getDatabaseProductName())
        ? "BYTEA" : "VARBINARY(16777216)";
    try (Statement s = c.createStatement()) {
      for (String ddl : SCHEMA) {
        s.execute(ddl.replace(BINARY, binary));
      }
    }
    if (!c.getAutoCommit()) {
      c.commit();
    }
  }

  /**
   * Binds parameters 1&ndash;5 of an insert into either resource table, whose first five columns
   * are the same: resource type, resource id, version, last updated, deleted.
   */
  static void bindVersionKey(PreparedStatement ps, ResourceStore.VersionKey key)
      throws SQLException {
    ps.setString(1, key.resourceType());
    ps.setString(2, key.id());
    ps.setLong(3, key.version());
    ps.setObject(4, timestamp(key.lastUpdated()));
    ps.setBoolean(5, key.deleted());
  }

  static OffsetDateTime timestamp(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }

  static Instant instant(ResultSet rs, int column) throws SQLException {
    return rs.getObject(column, OffsetDateTime.class).toInstant();
  }

  /** SQLSTATE class 23: integrity constraint violation (a key taken by a concurrent write). */
  static boolean isDuplicateKey(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException && ((SQLException) t).getSQLState() != null
          && ((SQLException) t).getSQLState().startsWith("23")) {
        return true;
      }
    }
    return false;
  }
}
