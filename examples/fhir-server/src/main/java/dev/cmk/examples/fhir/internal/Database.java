package dev.cmk.examples.fhir.internal;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Objects;
import javax.sql.ConnectionPoolDataSource;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcConnectionPool;
import org.hsqldb.jdbc.pool.JDBCPooledDataSource;
import org.postgresql.ds.PGConnectionPoolDataSource;

/**
 * A database of the example (resources or the fleet's key state), opened so that every write it
 * answers is durable at that moment: a process killed right after the answer keeps the write.
 *
 * <ul>
 *   <li>{@code jdbc:hsqldb:} — the embedded default. Every commit is appended to HSQLDB's log and
 *       synced ({@code SET FILES WRITE DELAY FALSE}); the log is folded into the data file at
 *       8 MB ({@code SET FILES LOG SIZE 8}). MVCC transactions.
 *   <li>{@code jdbc:h2:} — accepted; H2 writes commits to its file only every {@code WRITE_DELAY}
 *       ms (500 by default), so a file database gets {@code ;WRITE_DELAY=0} (every commit is
 *       written, at the price of a file several times larger) and one that asks for a delay is
 *       refused.
 *   <li>{@code jdbc:postgresql:} — accepted; refused if {@code synchronous_commit} is off.
 * </ul>
 *
 * <p>Every database is pooled by H2's {@link JdbcConnectionPool} over the driver's own {@link
 * ConnectionPoolDataSource}. Messages never contain the URL (it may carry a password).
 */
public final class Database implements AutoCloseable {
  private static final int MAX_CONNECTIONS = 32;

  private final String kind;
  private final JdbcConnectionPool pool;

  private Database(String kind, JdbcConnectionPool pool) {
    this.kind = kind;
    this.pool = pool;
  }

  /**
   * Opens a database and makes its commits durable.
   *
   * @param url a {@code jdbc:hsqldb:}, {@code jdbc:h2:} or {@code jdbc:postgresql:} URL
   *     (PostgreSQL credentials as the URL's {@code user} and {@code password} parameters, or
   *     in the driver's {@code .pgpass} file)
   * @param what what the database is for, in messages ("resource database", "key-state store")
   * @return the database
   * @throws IllegalArgumentException if the URL is of another kind or asks for delayed writes
   * @throws IllegalStateException if the database cannot be opened or is not durable
   */
  public static Database open(String url, String what) {
    Objects.requireNonNull(url, "url");
    ConnectionPoolDataSource source;
    String kind;
    if (url.startsWith("jdbc:hsqldb:")) {
      kind = "hsqldb";
      JDBCPooledDataSource ds = new JDBCPooledDataSource();
      ds.setUrl(url);
      ds.setUser("SA");
      ds.setPassword("");
      source = ds;
    } else if (url.startsWith("jdbc:h2:")) {
      kind = "h2";
      org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
      ds.setURL(durableH2(url, what));
      ds.setUser("sa");
      ds.setPassword("");
      source = ds;
    } else if (url.startsWith("jdbc:postgresql:")) {
      kind = "postgresql";
      PGConnectionPoolDataSource ds = new PGConnectionPoolDataSource();
      ds.setUrl(url);
      source = ds;
    } else {
      throw new IllegalArgumentException(what + ": the URL must start with jdbc:hsqldb:,"
          + " jdbc:h2: or jdbc:postgresql:");
    }
    JdbcConnectionPool pool = JdbcConnectionPool.create(source);
    pool.setMaxConnections(MAX_CONNECTIONS);
    Database db = new Database(kind, pool);
    try {
      db.makeDurable(what);
    } catch (SQLException e) {
      pool.dispose();
      throw new IllegalStateException(what + ": cannot open the " + kind + " database (SQLState "
          + e.getSQLState() + ")", e);
    } catch (RuntimeException e) {
      pool.dispose();
      throw e;
    }
    return db;
  }

  /** H2: a file database writes every commit ({@code WRITE_DELAY=0}); a delay is refused. */
  static String durableH2(String url, String what) {
    String upper = url.toUpperCase(Locale.ROOT);
    int at = upper.indexOf(";WRITE_DELAY=");
    if (at >= 0) {
      String value = upper.substring(at + ";WRITE_DELAY=".length()).split(";", 2)[0].trim();
      if (!value.equals("0")) {
        throw new IllegalArgumentException(what + ": H2 with WRITE_DELAY=" + value + " can lose"
            + " answered writes in a crash; leave WRITE_DELAY out (0 is used) or set it to 0");
      }
      return lockTimeout(url);
    }
    return lockTimeout(url + ";WRITE_DELAY=0");
  }

  /**
   * H2 gives up on a row lock after 1 s by default; conditional writes queue on one lock row per
   * type, so a file or memory database waits up to 10 s unless the URL says otherwise.
   */
  private static String lockTimeout(String url) {
    return url.toUpperCase(Locale.ROOT).contains(";LOCK_TIMEOUT=") ? url
        : url + ";LOCK_TIMEOUT=10000";
  }

  private void makeDurable(String what) throws SQLException {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      if (kind.equals("hsqldb")) {
        s.execute("SET FILES WRITE DELAY FALSE");
        s.execute("SET FILES LOG SIZE 8");
        s.execute("SET DATABASE TRANSACTION CONTROL MVCC");
      } else if (kind.equals("postgresql")) {
        try (ResultSet rs = s.executeQuery("SHOW synchronous_commit")) {
          if (rs.next() && rs.getString(1).equalsIgnoreCase("off")) {
            throw new IllegalStateException(what + ": PostgreSQL has synchronous_commit = off,"
                + " which can lose answered writes in a crash; turn it on for this database");
          }
        }
      }
      if (!c.getAutoCommit()) {
        c.commit();
      }
    }
  }

  /** {@return the engine: hsqldb, h2 or postgresql} */
  public String kind() {
    return kind;
  }

  /** {@return the pooled data source} */
  public DataSource dataSource() {
    return pool;
  }

  /** Closes the pool; an embedded HSQLDB database is shut down (its log folded in) first. */
  @Override
  public void close() {
    try {
      if (kind.equals("hsqldb")) {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
          s.execute("SHUTDOWN");
        } catch (SQLException e) {
          // Already shut down or unreachable: the log is replayed at the next start.
        }
      }
    } finally {
      pool.dispose();
    }
  }

  @Override
  public String toString() {
    return "Database[" + kind + "]"; // never the URL
  }
}
