package dev.cmk.state.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * How a store talks to its database: one borrowed connection per unit of work, committed (or
 * rolled back on any failure) when auto-commit is off, and every statement bounded by the query
 * timeout. Immutable and thread-safe.
 */
final class Connections {
  /** One unit of work on a borrowed connection. */
  interface Work<T> {
    T on(Connection c) throws SQLException;
  }

  private final DataSource dataSource;
  private final int queryTimeoutSeconds;

  Connections(DataSource dataSource, int queryTimeoutSeconds) {
    this.dataSource = dataSource;
    this.queryTimeoutSeconds = queryTimeoutSeconds;
  }

  /** Runs {@code work} on a borrowed connection; commits, or rolls back on any failure. */
  <T> T run(Work<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      try {
        T out = work.on(c);
        FleetTable.commitIfNeeded(c);
        return out;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      }
    }
  }

  /** A prepared statement bounded by the query timeout. */
  PreparedStatement bounded(Connection c, String sql) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    try {
      ps.setQueryTimeout(queryTimeoutSeconds);
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
    return ps;
  }

  private static void rollbackQuietly(Connection c, Exception failure) {
    try {
      if (!c.getAutoCommit()) {
        c.rollback();
      }
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  /** Whether {@code e}, or a chained exception, has SQLState class {@code stateClass}. */
  static boolean hasStateClass(SQLException e, String stateClass) {
    for (SQLException x = e; x != null; x = x.getNextException()) {
      if (stateClass.equals(FleetTable.sqlStateClass(x))) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code e}, or a chained exception, has one of these SQLStates. */
  static boolean hasState(SQLException e, String... states) {
    for (SQLException x = e; x != null; x = x.getNextException()) {
      for (String state : states) {
        if (state.equals(x.getSQLState())) {
          return true;
        }
      }
    }
    return false;
  }
}
