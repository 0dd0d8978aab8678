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
  private final TableCheck<FleetStateUnavailableException> tableCheck;

  /** The default bound of every query and update: the guard calls the store under its lock. */
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(10);

  private JdbcFleetStateStore(Connections db, FleetTable table, boolean createTable) {
    this.db = db;
    this.table = table;
    this.tableCheck = new TableCheck<>(db, table::createOrValidate, createTable,
        "the fleet-state table " + table.name, FleetStateUnavailableException::new);
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
    tableCheck.ensureForCall();
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
    tableCheck.ensureForCall();
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
    return tableCheck.failed(what + " the fleet state of key " + keyId + " in table " + table.name,
        e);
  }

  @Override
  public String toString() {
    return "JdbcFleetStateStore[table=" + table.name + "]";
  }

  /**
   * Configures a {@link JdbcFleetStateStore}: {@link #dataSource} (required), {@link #table}
   * (default {@value JdbcFleetStateStore#DEFAULT_TABLE}), {@link #createTable}, {@link
   * #checkAtFirstUse} and {@link #queryTimeout} (default {@link
   * JdbcFleetStateStore#DEFAULT_QUERY_TIMEOUT}), each at most once. The store borrows a
   * connection for at most one read per probe interval and one write per state change, per
   * instance. The loss-of-access guard calls the store under its lock, so a hung database must
   * fail the call (as {@link FleetStateUnavailableException}) rather than hold requests: keep the
   * query timeout short. With {@link #checkAtFirstUse()}, a database that is down when the
   * service starts surfaces as {@link FleetStateUnavailableException} from {@code read} and
   * {@code replace}, which the guard handles by refusing requests ({@code FLEET_STATE_UNKNOWN})
   * until the store answers.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder extends JdbcStoreBuilder<Builder> {
    private Builder() {
      super(name -> new FleetTable(name).name);
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
      JdbcFleetStateStore store = new JdbcFleetStateStore(connections(DEFAULT_QUERY_TIMEOUT),
          new FleetTable(tableOr(DEFAULT_TABLE)), createsTable());
      if (checksAtBuild()) {
        store.tableCheck.ensure();
      }
      return store;
    }
  }
}
