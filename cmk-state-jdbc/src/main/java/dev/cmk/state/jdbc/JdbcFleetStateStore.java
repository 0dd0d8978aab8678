package dev.cmk.state.jdbc;

import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetRecord;
import dev.cmk.core.fleet.FleetStateStore;
import dev.cmk.core.fleet.FleetStateUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * A {@link FleetStateStore} in one table of a relational database, reached through a {@link
 * DataSource}: the loss-of-access state that the replicas of a service share. Tested on
 * PostgreSQL and H2; the SQL is portable (no vendor syntax).
 *
 * <pre>{@code
 * DataSource pool = ...; // your pool (HikariCP, the container's, PGSimpleDataSource): not ours
 * FleetStateStore fleet = JdbcFleetStateStore.builder()
 *     .dataSource(pool)
 *     .table("cmk_fleet_state")   // the default
 *     .build();                   // creates the table if missing, checks its shape
 * }</pre>
 *
 * <p>One row per key: {@code key_id} (primary key), {@code revision} (a counter), the state's
 * fields, instants as {@code TIMESTAMP(6) WITH TIME ZONE} (kept to microseconds: finer instants
 * are truncated when written, and the record returned is the truncated one). A write is one
 * statement in its own transaction: {@code UPDATE ... WHERE key_id = ? AND revision = ?} (the
 * revision read before) or, for a key without a row, a plain {@code INSERT} that loses to a
 * concurrent insert through the primary key. No locks are held between statements.
 *
 * <p><b>Guarantees:</b> of several replicas replacing the same revision, exactly one succeeds
 * (the database's row lock and primary key decide, across processes and hosts); a successful
 * {@link #replace} has been committed by the database when it returns, so it is as durable as the
 * database's commit (PostgreSQL: on disk with its default {@code synchronous_commit}; H2: see the
 * README). Reads see every committed write if the data source points at the primary (never at a
 * read replica). Every {@link SQLException} becomes a {@link FleetStateUnavailableException} whose
 * message names the operation, table, key and SQLState, never the connection string or
 * credentials (the driver's exception is its cause).
 *
 * <p><b>Thread safety:</b> immutable and safe for concurrent use; each call borrows one connection
 * from the data source and returns it. Connections with auto-commit off are committed (or rolled
 * back) by the store.
 */
public final class JdbcFleetStateStore implements FleetStateStore {
  /** The default table name. */
  public static final String DEFAULT_TABLE = "cmk_fleet_state";

  private final Connections db;
  private final FleetTable table;
  private final TableCheck tableCheck;

  /** The default bound of every query and update: the guard calls the store under its lock. */
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(10);

  private JdbcFleetStateStore(DataSource dataSource, FleetTable table, boolean createTable,
      Duration queryTimeout) {
    this.db = new Connections(dataSource, (int) Math.max(1, queryTimeout.toSeconds()));
    this.table = table;
    this.tableCheck = new TableCheck(db, table::createOrValidate, createTable);
  }

  /**
   * Creates the table if missing (when allowed) and checks its shape, once.
   *
   * @throws IllegalStateException if the table is missing or has the wrong shape
   * @throws FleetStateUnavailableException if the database cannot be reached or refuses
   */
  private void prepare() {
    try {
      tableCheck.ensure();
    } catch (SQLException e) {
      throw unavailable("checking the fleet-state table " + table.name, e);
    }
  }

  /** {@link #prepare()} for the SPI's calls: every failure is "the store cannot answer". */
  private void prepareForUse() {
    try {
      prepare();
    } catch (IllegalStateException e) {
      throw new FleetStateUnavailableException(e.getMessage(), e);
    }
  }

  /** {@return a new builder} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the table's name, as configured} */
  public String table() {
    return table.name;
  }

  @Override
  public Optional<FleetRecord> read(String keyId) {
    FleetStateStore.checkKeyId(keyId);
    prepareForUse();
    try {
      return db.run(c -> {
        try (PreparedStatement ps = db.bounded(c, table.select)) {
          ps.setString(1, keyId);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next()
                ? Optional.of(new FleetRecord(FleetTable.read(rs), Long.toString(rs.getLong(2))))
                : Optional.<FleetRecord>empty();
          }
        }
      });
    } catch (SQLException e) {
      throw unavailable("reading", keyId, e);
    } catch (IllegalArgumentException e) {
      throw new FleetStateUnavailableException("the fleet state of key " + keyId + " in table "
          + table.name + " is not one this version understands", e);
    }
  }

  @Override
  public Optional<FleetRecord> replace(String keyId, @Nullable String expectedRevision,
      FleetKeyState next) {
    FleetStateStore.checkKeyId(keyId);
    Objects.requireNonNull(next, "next");
    FleetKeyState stored = FleetTable.stored(next);
    long expected;
    if (expectedRevision == null) {
      expected = 0;
    } else {
      try {
        expected = Long.parseLong(expectedRevision);
      } catch (NumberFormatException e) {
        return Optional.empty(); // not a revision this table ever gave: it cannot be current
      }
      if (expected < 1) {
        return Optional.empty();
      }
    }
    prepareForUse();
    long revision = expected;
    try {
      boolean written = db.run(c -> revision == 0 ? insert(c, keyId, stored)
          : update(c, keyId, revision, stored));
      return written ? Optional.of(new FleetRecord(stored, Long.toString(revision + 1)))
          : Optional.empty();
    } catch (SQLException e) {
      if (lostRace(e)) {
        return Optional.empty();
      }
      throw unavailable("writing", keyId, e);
    }
  }

  private boolean insert(Connection c, String keyId, FleetKeyState s) throws SQLException {
    try (PreparedStatement ps = db.bounded(c, table.insert)) {
      ps.setString(1, keyId);
      FleetTable.bind(ps, 2, s);
      return ps.executeUpdate() == 1;
    }
  }

  private boolean update(Connection c, String keyId, long expected, FleetKeyState s)
      throws SQLException {
    try (PreparedStatement ps = db.bounded(c, table.update)) {
      FleetTable.bind(ps, 1, s);
      ps.setString(7, keyId);
      ps.setLong(8, expected);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Whether the statement failed only because another replica wrote first: a duplicate primary
   * key on insert (SQLState class 23), a serialization failure (40001), or H2's "concurrent
   * update" (90131). In each case the database rolled the statement back.
   */
  private static boolean lostRace(SQLException e) {
    return Connections.hasStateClass(e, "23") || Connections.hasState(e, "40001", "90131");
  }

  private FleetStateUnavailableException unavailable(String what, String keyId, SQLException e) {
    return unavailable(what + " the fleet state of key " + keyId + " in table " + table.name, e);
  }

  private static FleetStateUnavailableException unavailable(String what, SQLException e) {
    // The driver's message may name the host, database or user: it stays in the cause only.
    return new FleetStateUnavailableException(what + " failed (SQLState "
        + (e.getSQLState() == null ? "none" : e.getSQLState()) + ")", e);
  }

  @Override
  public String toString() {
    return "JdbcFleetStateStore[table=" + table.name + "]";
  }

  /**
   * Configures a {@link JdbcFleetStateStore}. The data source is required; each setting may be
   * given once. Not thread-safe.
   */
  public static final class Builder {
    private @Nullable DataSource dataSource;
    private @Nullable String table;
    private @Nullable Boolean createTable;
    private boolean checkAtFirstUse;
    private @Nullable Duration queryTimeout;

    private Builder() {}

    /**
     * The bound of every read and write ({@code Statement.setQueryTimeout}, whole seconds, at
     * least 1; default {@link JdbcFleetStateStore#DEFAULT_QUERY_TIMEOUT}). The loss-of-access
     * guard calls the store under its lock, so a hung database must fail the call (as
     * {@link FleetStateUnavailableException}) rather than hold requests; bound the pool's
     * connection wait too.
     *
     * @param timeout the bound, at least one second
     * @return this builder
     * @throws IllegalArgumentException if shorter than a second
     * @throws IllegalStateException if already set
     */
    public Builder queryTimeout(Duration timeout) {
      if (this.queryTimeout != null) {
        throw new IllegalStateException("queryTimeout was already set");
      }
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("queryTimeout must be at least one second");
      }
      this.queryTimeout = timeout;
      return this;
    }

    /**
     * The database. Bring your own pool: the store borrows one connection per call (at most one
     * read per probe interval and one write per state change, per instance) and never closes
     * the data source.
     *
     * @param dataSource the data source, pointing at the primary (never a read replica)
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder dataSource(DataSource dataSource) {
      if (this.dataSource != null) {
        throw new IllegalStateException("dataSource was already set");
      }
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      return this;
    }

    /**
     * The table (default {@value JdbcFleetStateStore#DEFAULT_TABLE}).
     *
     * @param table an unquoted SQL identifier, optionally schema-qualified: {@code
     *     [schema.]name}, letters, digits and {@code _}, at most 63 characters each
     * @return this builder
     * @throws IllegalArgumentException if it is not such an identifier
     * @throws IllegalStateException if already set
     */
    public Builder table(String table) {
      if (this.table != null) {
        throw new IllegalStateException("table was already set");
      }
      Objects.requireNonNull(table, "table");
      this.table = new FleetTable(table).name;
      return this;
    }

    /**
     * Whether {@link #build()} creates the table when it is missing (default true). With false,
     * a missing table fails the build: for databases where the service's user may not run DDL.
     *
     * @param create whether to create a missing table
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder createTable(boolean create) {
      if (this.createTable != null) {
        throw new IllegalStateException("createTable was already set");
      }
      this.createTable = create;
      return this;
    }

    /**
     * Defers creating and checking the table from {@link #build()} to the store's first call
     * (default: at build). Then {@code build()} does not connect, and a database that is down
     * when the service starts, or a table of the wrong shape, surfaces as {@link
     * FleetStateUnavailableException} from {@code read} and {@code replace} — which the
     * loss-of-access guard handles by refusing requests ({@code FLEET_STATE_UNKNOWN}) until the
     * store answers. The check runs until it succeeds once.
     *
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder checkAtFirstUse() {
      if (checkAtFirstUse) {
        throw new IllegalStateException("checkAtFirstUse was already set");
      }
      checkAtFirstUse = true;
      return this;
    }

    /**
     * Creates the table if missing (unless turned off) and checks its shape: the eight columns
     * with their types, {@code key_id} long enough and the primary key (unless deferred by
     * {@link #checkAtFirstUse()}).
     *
     * @return the store
     * @throws IllegalStateException if no data source was set, or the table is missing (with
     *     {@code createTable(false)}) or has the wrong shape
     * @throws FleetStateUnavailableException if the database cannot be reached or refuses
     */
    public JdbcFleetStateStore build() {
      if (dataSource == null) {
        throw new IllegalStateException("dataSource is required");
      }
      JdbcFleetStateStore store = new JdbcFleetStateStore(dataSource,
          new FleetTable(table != null ? table : DEFAULT_TABLE), createTable == null || createTable,
          queryTimeout != null ? queryTimeout : DEFAULT_QUERY_TIMEOUT);
      if (!checkAtFirstUse) {
        store.prepare();
      }
      return store;
    }
  }
}
