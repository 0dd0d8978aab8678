package dev.cmk.state.jdbc;

import dev.cmk.core.KeyAccessState;
import dev.cmk.core.LossCause;
import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetStateStore;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
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
    Map<String, String> found = new LinkedHashMap<>();
    Map<String, Integer> sizes = new LinkedHashMap<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM " + name + " WHERE 1 = 0")) {
      ResultSetMetaData md = rs.getMetaData();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        String column = md.getColumnLabel(i).toLowerCase(Locale.ROOT);
        found.put(column, kind(md.getColumnType(i), md.getColumnTypeName(i)));
        sizes.put(column, md.getPrecision(i));
      }
    } catch (SQLException e) {
      commitIfNeeded(c);
      if (!create && "42".equals(sqlStateClass(e))) {
        throw new IllegalStateException("fleet-state table " + name + " does not exist (create it"
            + " with the DDL in the cmk-state-jdbc README, or let the store create it)");
      }
      throw e;
    }
    commitIfNeeded(c);
    if (!found.equals(COLUMNS)) {
      throw new IllegalStateException("fleet-state table " + name + " has the wrong shape: expected"
          + " columns " + COLUMNS + ", found " + found + " (see the cmk-state-jdbc README)");
    }
    if (sizes.get("key_id") < FleetStateStore.MAX_KEY_ID_LENGTH
        || sizes.get("recorded_by") < FleetKeyState.MAX_RECORDED_BY) {
      throw new IllegalStateException("fleet-state table " + name + " has the wrong shape: key_id"
          + " must hold " + FleetStateStore.MAX_KEY_ID_LENGTH + " characters and recorded_by "
          + FleetKeyState.MAX_RECORDED_BY);
    }
    checkDurable(c);
    if (!keyIdIsPrimaryKey(c)) {
      throw new IllegalStateException("fleet-state table " + name + " has the wrong shape: key_id"
          + " must be its primary key");
    }
  }

  /**
   * H2 writes committed transactions to its file only every {@code WRITE_DELAY} ms (default 500):
   * a write reported done could be lost in a crash, turning "refresh required" back into
   * "available" on restart. Refused unless the delay is 0 (the store writes only when a key's
   * state changes, so H2's per-commit file growth does not matter here).
   */
  private static void checkDurable(Connection c) throws SQLException {
    if (!"H2".equals(c.getMetaData().getDatabaseProductName())) {
      return;
    }
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
            + " WHERE SETTING_NAME = 'WRITE_DELAY'")) {
      String delay = rs.next() ? rs.getString(1) : "0";
      commitIfNeeded(c);
      if (!"0".equals(delay.trim())) {
        throw new IllegalStateException("H2 database with WRITE_DELAY " + delay + " ms: a write"
            + " could be lost in a crash after the store reported it done; add ;WRITE_DELAY=0 to"
            + " the database URL (the store writes only when a key's state changes)");
      }
    }
  }

  private boolean keyIdIsPrimaryKey(Connection c) throws SQLException {
    DatabaseMetaData md = c.getMetaData();
    int dot = name.indexOf('.');
    String schema = dot < 0 ? null : name.substring(0, dot);
    String table = dot < 0 ? name : name.substring(dot + 1);
    // Unquoted names are stored folded: lower case by PostgreSQL, upper case by H2.
    for (boolean upper : new boolean[] {md.storesUpperCaseIdentifiers(), !md.storesUpperCaseIdentifiers()}) {
      String t = upper ? table.toUpperCase(Locale.ROOT) : table.toLowerCase(Locale.ROOT);
      String sch = schema == null ? null
          : upper ? schema.toUpperCase(Locale.ROOT) : schema.toLowerCase(Locale.ROOT);
      boolean any = false;
      boolean keyIdOnly = true;
      try (ResultSet rs = md.getPrimaryKeys(null, sch, t)) {
        while (rs.next()) {
          any = true;
          keyIdOnly &= "key_id".equalsIgnoreCase(rs.getString("COLUMN_NAME"));
        }
      }
      commitIfNeeded(c);
      if (any) {
        return keyIdOnly;
      }
    }
    return false;
  }

  private static String kind(int jdbcType, String typeName) {
    String n = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
    switch (jdbcType) {
      case Types.VARCHAR:
      case Types.NVARCHAR:
      case Types.LONGVARCHAR:
        return "text";
      case Types.BIGINT:
        return "bigint";
      case Types.TIMESTAMP_WITH_TIMEZONE:
        return "timestamptz";
      case Types.TIMESTAMP:
        // PostgreSQL reports timestamptz as TIMESTAMP with the type name "timestamptz".
        return n.contains("tz") || n.contains("time zone") ? "timestamptz" : "timestamp";
      default:
        return n;
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
