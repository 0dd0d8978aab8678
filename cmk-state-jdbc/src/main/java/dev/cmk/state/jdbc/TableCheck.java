package dev.cmk.state.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A store's table, created if missing (when allowed) and checked, until that succeeds once: the
 * store's first call (or its build) runs it, later calls skip it; and the store's one way of
 * reporting a failed statement, as its "unavailable" exception whose message names the operation
 * and the SQLState (the driver's message, which may name host, database or user, stays in the
 * cause). Thread-safe: one check at a time, and none after one succeeded.
 *
 * @param <X> the store's "unavailable" exception
 */
final class TableCheck<X extends RuntimeException> {
  /** Creates the table if missing (when {@code create}), then checks its shape. */
  interface Check {
    /**
     * @throws IllegalStateException if the table is missing or has the wrong shape
     * @throws SQLException if the database fails
     */
    void createOrValidate(Connection c, boolean create) throws SQLException;
  }

  /** Makes the store's "unavailable" exception. */
  @FunctionalInterface
  interface Unavailable<X extends RuntimeException> {
    X of(String message, Throwable cause);
  }

  private final Connections db;
  private final Check check;
  private final boolean create;
  private final String table;
  private final Unavailable<X> unavailable;
  private volatile boolean done;

  /**
   * @param table the table, for messages: e.g. {@code "the data-key table cmk_data_keys"}
   */
  TableCheck(Connections db, Check check, boolean create, String table,
      Unavailable<X> unavailable) {
    this.db = db;
    this.check = check;
    this.create = create;
    this.table = table;
    this.unavailable = unavailable;
  }

  /**
   * Runs the check unless it succeeded before: for a store's build.
   *
   * @throws IllegalStateException if the table is missing or has the wrong shape
   * @throws X if the database fails
   */
  void ensure() {
    try {
      ensureOnce();
    } catch (SQLException e) {
      throw failed("checking " + table, e);
    }
  }

  /**
   * {@link #ensure()} for the store's calls: a missing table or a wrong shape is "the store
   * cannot answer" too.
   *
   * @throws X if the check fails for any reason
   */
  void ensureForCall() {
    try {
      ensure();
    } catch (IllegalStateException e) {
      throw unavailable.of(e.getMessage(), e);
    }
  }

  /**
   * The store's "unavailable" exception for a failed statement.
   *
   * @param what the operation, e.g. {@code "reading data-key record X in table T"}
   * @param e the driver's exception, which becomes the cause
   * @return {@code "<what> failed (SQLState <state>)"}, never the driver's message
   */
  X failed(String what, SQLException e) {
    return unavailable.of(what + " failed (SQLState "
        + (e.getSQLState() == null ? "none" : e.getSQLState()) + ")", e);
  }

  private void ensureOnce() throws SQLException {
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
