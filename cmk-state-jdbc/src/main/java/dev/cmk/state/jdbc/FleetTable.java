package dev.cmk.state.jdbc;

import dev.cmk.core.KeyAccessState;
import dev.cmk.core.LossCause;
import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetStateStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The fleet-state table: its name, DDL, shape check, statements and row mapping. Everything here
 * is portable SQL that PostgreSQL and H2 both run unchanged.
 */
final class FleetTable {
  /** An unquoted SQL identifier, optionally qualified by a schema: {@code [schema.]table}. */
  static final Pattern NAME =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");

  /** Column name → what its JDBC type must look like (checked at start). */
  private static final Map<String, String> COLUMNS = new LinkedHashMap<>();

  static {
    COLUMNS.put("key_id", "text");
    COLUMNS.put("revision", "bigint");
    COLUMNS.put("state", "text");
    COLUMNS.put("generation", "bigint");
    COLUMNS.put("lost_since", "timestamptz");
    COLUMNS.put("cause", "text");
    COLUMNS.put("recorded_at", "timestamptz");
    COLUMNS.put("recorded_by", "text");
  }

  private static final String COLUMN_LIST = String.join(", ", COLUMNS.keySet());

  final String name;
  final String ddl;
  final String select;
  final String insert;
  final String update;

  FleetTable(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "table must be an unquoted SQL identifier ([schema.]name of letters, digits and _,"
              + " at most 63 characters each)");
    }
    this.name = name;
    this.ddl = "CREATE TABLE IF NOT EXISTS " + name + " ("
        + " key_id VARCHAR(" + FleetStateStore.MAX_KEY_ID_LENGTH + ") NOT NULL PRIMARY KEY,"
        + " revision BIGINT NOT NULL,"
        + " state VARCHAR(32) NOT NULL,"
        + " generation BIGINT NOT NULL,"
        + " lost_since TIMESTAMP(6) WITH TIME ZONE,"
        + " cause VARCHAR(64) NOT NULL,"
        + " recorded_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,"
        + " recorded_by VARCHAR(" + FleetKeyState.MAX_RECORDED_BY + ") NOT NULL)";
    this.select = "SELECT " + COLUMN_LIST + " FROM " + name + " WHERE key_id = ?";
    this.insert = "INSERT INTO " + name + " (" + COLUMN_LIST + ") VALUES (?, 1, ?, ?, ?, ?, ?, ?)";
    this.update = "UPDATE " + name + " SET revision = revision + 1, state = ?, generation = ?,"
        + " lost_since = ?, cause = ?, recorded_at = ?, recorded_by = ?"
        + " WHERE key_id = ? AND revision = ?";
  }

  /**
   * Creates the table if missing (when asked), then checks its shape.
   *
   * @throws IllegalStateException if the table is missing or has the wrong shape
   * @throws SQLException if the database fails
   */
  void createOrValidate(Connection c, boolean create) throws SQLException {
    if (create) {
      try (Statement s = c.createStatement()) {
        s.execute(ddl);
      }
      commitIfNeeded(c);
    }
    SqlCatalog.Columns found;
    try {
      found = SqlCatalog.columns(c, name);
    } catch (SQLException e) {
      if (!create && "42".equals(sqlStateClass(e))) {
        throw new IllegalStateException("fleet-state table " + name + " does not exist (create it"
            + " with the DDL in the cmk-state-jdbc README, or let the store create it)");
      }
      throw e;
    }
    if (!found.kinds().equals(COLUMNS)) {
      throw new IllegalStateException("fleet-state table " + name + " has the wrong shape: expected"
          + " columns " + COLUMNS + ", found " + found.kinds()
          + " (see the cmk-state-jdbc README)");
    }
    if (found.sizes().get("key_id") < FleetStateStore.MAX_KEY_ID_LENGTH
        || found.sizes().get("recorded_by") < FleetKeyState.MAX_RECORDED_BY) {
      throw new IllegalStateException("fleet-state table " + name + " has the wrong shape: key_id"
          + " must hold " + FleetStateStore.MAX_KEY_ID_LENGTH + " characters and recorded_by "
          + FleetKeyState.MAX_RECORDED_BY);
    }
    // A write lost in a crash on H2 would turn "refresh required" back into "available".
    SqlCatalog.checkDurable(c, "a fleet state");
    if (!SqlCatalog.primaryKey(c, name).equals(List.of("key_id"))) {
      throw new IllegalStateException("fleet-state table " + name + " has the wrong shape: key_id"
          + " must be its primary key");
    }
  }

  /** Binds a state to the statement's parameters {@code from}..{@code from + 5}. */
  static void bind(PreparedStatement ps, int from, FleetKeyState s) throws SQLException {
    ps.setString(from, s.state().name());
    ps.setLong(from + 1, s.generation());
    ps.setObject(from + 2, s.lostSince() == null ? null : utc(s.lostSince()));
    ps.setString(from + 3, s.cause().name());
    ps.setObject(from + 4, utc(s.recordedAt()));
    ps.setString(from + 5, s.recordedBy());
  }

  /** The row at the result set's cursor, in {@link #COLUMNS} order. */
  static FleetKeyState read(ResultSet rs) throws SQLException {
    OffsetDateTime lost = rs.getObject(5, OffsetDateTime.class);
    return new FleetKeyState(
        KeyAccessState.valueOf(rs.getString(3)),
        rs.getLong(4),
        lost == null ? null : lost.toInstant(),
        LossCause.valueOf(rs.getString(6)),
        rs.getObject(7, OffsetDateTime.class).toInstant(),
        rs.getString(8));
  }

  /** The state as the table keeps it: instants to microseconds (PostgreSQL's precision). */
  static FleetKeyState stored(FleetKeyState s) {
    return new FleetKeyState(s.state(), s.generation(), micros(s.lostSince()), s.cause(),
        micros(s.recordedAt()), s.recordedBy());
  }

  private static @Nullable Instant micros(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.MICROS);
  }

  private static OffsetDateTime utc(Instant t) {
    return t.atOffset(ZoneOffset.UTC);
  }

  static void commitIfNeeded(Connection c) throws SQLException {
    if (!c.getAutoCommit()) {
      c.commit();
    }
  }

  /** The SQLState's class (first two characters), or "" if the driver gave none. */
  static String sqlStateClass(SQLException e) {
    String state = e.getSQLState();
    return state == null || state.length() < 2 ? "" : state.substring(0, 2);
  }
}
