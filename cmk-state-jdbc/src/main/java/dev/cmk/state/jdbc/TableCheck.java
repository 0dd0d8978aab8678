package dev.cmk.state.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A store's table, created if missing (when allowed) and checked, until that succeeds once: the
 * store's first call (or its build) runs it, later calls skip it. Thread-safe: one check at a
 * time, and none after one succeeded.
 */
final class TableCheck {
  /** Creates the table if missing (when {@code create}), then checks its shape. */
  interface Check {
    /**
     * @throws IllegalStateException if the table is missing or has the wrong shape
     * @throws SQLException if the database fails
     */
    void createOrValidate(Connection c, boolean create) throws SQLException;
  }

  private final Connections db;
  private final Check check;
  private final boolean create;
  private volatile boolean done;

  TableCheck(Connections db, Check check, boolean create) {
    this.db = db;
    this.check = check;
    this.create = create;
  }

  /**
   * Runs the check unless it succeeded before.
   *
   * @throws IllegalStateException if the table is missing or has the wrong shape
   * @throws SQLException if the database fails
   */
  void ensure() throws SQLException {
    if (done) {
      return;
    }
    synchronized (this) {
      if (done) {
        return;
      }
      for (int attempt = 1; ; attempt++) {
        try {
          db.run(c -> {
            check.createOrValidate(c, create);
            return null;
          });
          done = true;
          return;
        } catch (SQLException e) {
          // Two instances creating the table at once: PostgreSQL may refuse the second CREATE
          // ... IF NOT EXISTS (duplicate catalog row); the next try sees the table.
          if (attempt == 1 && create && "23".equals(FleetTable.sqlStateClass(e))) {
            continue;
          }
          throw e;
        }
      }
    }
  }
}
