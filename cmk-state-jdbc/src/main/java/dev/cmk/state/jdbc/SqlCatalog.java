package dev.cmk.state.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a store checks in the database's catalog before it trusts a table: column kinds, the
 * primary key, an index, and that H2 commits durably. Portable over PostgreSQL and H2 (which fold
 * unquoted names to lower and upper case respectively).
 */
final class SqlCatalog {
  private SqlCatalog() {}

  /** A table's columns (lower-case name → kind, see {@link #kind}) and their precisions. */
  record Columns(Map<String, String> kinds, Map<String, Integer> sizes) {}

  /**
   * The columns of {@code table}, read from an empty query's metadata.
   *
   * @throws SQLException if the table is missing (SQLState class 42) or the database fails
   */
  static Columns columns(Connection c, String table) throws SQLException {
    Map<String, String> kinds = new LinkedHashMap<>();
    Map<String, Integer> sizes = new LinkedHashMap<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
      ResultSetMetaData md = rs.getMetaData();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        String column = md.getColumnLabel(i).toLowerCase(Locale.ROOT);
        kinds.put(column, kind(md.getColumnType(i), md.getColumnTypeName(i)));
        sizes.put(column, md.getPrecision(i));
      }
    } finally {
      FleetTable.commitIfNeeded(c);
    }
    return new Columns(kinds, sizes);
  }

  /** A column's kind: text, bigint, timestamptz, timestamp, bytes, or the driver's type name. */
  static String kind(int jdbcType, String typeName) {
    String n = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
    switch (jdbcType) {
      case Types.VARCHAR:
      case Types.NVARCHAR:
      case Types.LONGVARCHAR:
        return "text";
      case Types.BIGINT:
        return "bigint";
      case Types.BINARY:
      case Types.VARBINARY:
      case Types.LONGVARBINARY:
        return "bytes";
      case Types.TIMESTAMP_WITH_TIMEZONE:
        return "timestamptz";
      case Types.TIMESTAMP:
        // PostgreSQL reports timestamptz as TIMESTAMP with the type name "timestamptz".
        return n.contains("tz") || n.contains("time zone") ? "timestamptz" : "timestamp";
      default:
        return n;
    }
  }

  /**
   * H2 writes committed transactions to its file only every {@code WRITE_DELAY} ms (default
   * 500): a write reported done could be lost in a crash. Refused unless the delay is 0.
   *
   * @param what what the store keeps, for the message
   * @throws IllegalStateException if the database is H2 with a write delay
   */
  static void checkDurable(Connection c, String what) throws SQLException {
    if (!"H2".equals(c.getMetaData().getDatabaseProductName())) {
      return;
    }
    String delay;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
            + " WHERE SETTING_NAME = 'WRITE_DELAY'")) {
      delay = rs.next() ? rs.getString(1) : "0";
    } finally {
      FleetTable.commitIfNeeded(c);
    }
    if (!"0".equals(delay.trim())) {
      throw new IllegalStateException("H2 database with WRITE_DELAY " + delay + " ms: " + what
          + " reported written could be lost in a crash; add ;WRITE_DELAY=0 to the database URL");
    }
  }

  /** The primary key's columns of {@code table}, lower case, in key order; empty if none. */
  static List<String> primaryKey(Connection c, String table) throws SQLException {
    return folded(c, table, (md, schema, name) -> {
      TreeMap<Short, String> columns = new TreeMap<>();
      try (ResultSet rs = md.getPrimaryKeys(null, schema, name)) {
        while (rs.next()) {
          columns.put(rs.getShort("KEY_SEQ"),
              rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
        }
      }
      return new ArrayList<>(columns.values());
    });
  }

  /**
   * Whether {@code table} has an index whose leading columns are {@code leading}, in order.
   *
   * @param leading lower-case column names
   */
  static boolean hasIndexOn(Connection c, String table, List<String> leading)
      throws SQLException {
    List<String> found = folded(c, table, (md, schema, name) -> {
      Map<String, TreeMap<Short, String>> indexes = new LinkedHashMap<>();
      try (ResultSet rs = md.getIndexInfo(null, schema, name, false, true)) {
        while (rs.next()) {
          String index = rs.getString("INDEX_NAME");
          String column = rs.getString("COLUMN_NAME");
          if (index != null && column != null) {
            indexes.computeIfAbsent(index, k -> new TreeMap<>())
                .put(rs.getShort("ORDINAL_POSITION"), column.toLowerCase(Locale.ROOT));
          }
        }
      }
      for (TreeMap<Short, String> columns : indexes.values()) {
        List<String> list = new ArrayList<>(columns.values());
        if (list.size() >= leading.size() && list.subList(0, leading.size()).equals(leading)) {
          return leading;
        }
      }
      return List.of();
    });
    return !found.isEmpty();
  }

  /** A catalog lookup by schema and table name as the database stores them. */
  private interface Lookup {
    List<String> find(DatabaseMetaData md, String schema, String table) throws SQLException;
  }

  /** Runs {@code lookup} with the name folded both ways; the first non-empty answer. */
  private static List<String> folded(Connection c, String qualified, Lookup lookup)
      throws SQLException {
    DatabaseMetaData md = c.getMetaData();
    int dot = qualified.indexOf('.');
    String schema = dot < 0 ? null : qualified.substring(0, dot);
    String table = dot < 0 ? qualified : qualified.substring(dot + 1);
    boolean upperFirst = md.storesUpperCaseIdentifiers();
    try {
      for (boolean upper : new boolean[] {upperFirst, !upperFirst}) {
        List<String> found = lookup.find(md, schema == null ? null : fold(schema, upper),
            fold(table, upper));
        if (!found.isEmpty()) {
          return found;
        }
      }
      return List.of();
    } finally {
      FleetTable.commitIfNeeded(c);
    }
  }

  private static String fold(String name, boolean upper) {
    return upper ? name.toUpperCase(Locale.ROOT) : name.toLowerCase(Locale.ROOT);
  }
}
