package dev.cmk.state.jdbc;

import org.jspecify.annotations.Nullable;
import dev.cmk.api.KeyReference;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.DataKeyStoreUnavailableException;
import dev.cmk.core.datakey.StoredDataKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * A {@link DataKeyStore} in one table of a relational database, reached through a {@link
 * DataSource}: format v2's data-key records, shared by every instance of a service. Tested on
 * PostgreSQL and H2; the SQL is portable (no vendor syntax).
 *
 * <pre>{@code
 * DataKeyStore records = JdbcDataKeyStore.builder()
 *     .dataSource(pool)              // the application's pool, on the primary
 *     .table("cmk_data_keys")        // the default
 *     .build();                      // creates table and index if missing, checks their shape
 * EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(keys).writeKey(keyUrl)
 *     .dataKeyStore(records).build();
 * }</pre>
 *
 * <p>One row per record: {@code id} (64 hex digits, primary key), the primary wrapping's {@code
 * provider_id} and {@code key_reference} and the record's {@code created_at} (for {@link
 * #newestWritable}, through an index on those three), {@code revision} (a counter) and the
 * record's bytes ({@link DataKeyRecord#toBytes()}), which are the source of truth. {@link #create}
 * is a plain {@code INSERT} that loses to an existing row through the primary key; {@link
 * #replace} is {@code UPDATE ... WHERE id = ? AND revision = ?}. Each call is one short
 * transaction; no lock is held between calls.
 *
 * <p><b>Guarantees:</b> of several writers creating one id, or replacing one revision, exactly
 * one succeeds (the primary key and the row lock decide, across processes and hosts) — writer
 * slots are handed out this way, so this is what keeps nonces unique across writers. A call that
 * returns has been committed (as durable as the database's commit; H2 must run with {@code
 * WRITE_DELAY=0}, checked at start). Reads see every committed write if the data source points
 * at the primary. Every {@link SQLException}, and a table of the wrong shape, becomes a {@link
 * DataKeyStoreUnavailableException} naming the operation, table, record id and SQLState — never
 * the connection string or credentials. A row whose bytes are not a well-formed record of its
 * id is reported as {@link IllegalArgumentException} (the engine then refuses the envelope as
 * invalid), never as "no record". The store never deletes a row.
 *
 * <p><b>Thread safety:</b> immutable and safe for concurrent use; each call borrows one
 * connection from the data source and returns it (committing or rolling back when auto-commit
 * is off).
 */
public final class JdbcDataKeyStore implements DataKeyStore {
  /** The default table name. */
  public static final String DEFAULT_TABLE = "cmk_data_keys";

  /** The default bound of every statement. */
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(10);

  private final Connections db;
  private final DataKeyTable table;
  private final TableCheck<DataKeyStoreUnavailableException> tableCheck;

  private JdbcDataKeyStore(Connections db, DataKeyTable table, boolean createTable) {
    this.db = db;
    this.table = table;
    this.tableCheck = new TableCheck<>(db, table::createOrValidate, createTable,
        "the data-key table " + table.name, DataKeyStoreUnavailableException::new);
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
  public Optional<StoredDataKey> create(DataKeyRecord record) {
    Objects.requireNonNull(record, "record");
    byte[] bytes = record.toBytes();
    tableCheck.ensureForCall();
    try {
      return db.run(c -> {
        try (PreparedStatement ps = db.bounded(c, table.insert)) {
          ps.setString(1, record.id().hex());
          DataKeyTable.bindPrimary(ps, 2, record);
          ps.setObject(4, DataKeyTable.utc(record.createdAt()));
          ps.setBytes(5, bytes);
          ps.executeUpdate();
        }
        return Optional.of(new StoredDataKey(record, "1"));
      });
    } catch (SQLException e) {
      if (Connections.hasStateClass(e, "23")) { // a duplicate primary key: the id exists
        return Optional.empty();
      }
      if ("22".equals(FleetTable.sqlStateClass(e))) {
        throw new IllegalArgumentException("data-key record " + record.id() + " cannot be stored"
            + " in table " + table.name + " (SQLState " + e.getSQLState() + ")", e);
      }
      throw unavailable("creating", record.id(), e);
    }
  }

  @Override
  public Optional<StoredDataKey> read(DataKeyId id) {
    Objects.requireNonNull(id, "id");
    tableCheck.ensureForCall();
    try {
      return db.run(c -> selectOne(c, id));
    } catch (SQLException e) {
      throw unavailable("reading", id, e);
    }
  }

  private Optional<StoredDataKey> selectOne(Connection c, DataKeyId id) throws SQLException {
    try (PreparedStatement ps = db.bounded(c, table.select)) {
      ps.setString(1, id.hex());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(DataKeyTable.read(rs)) : Optional.empty();
      }
    }
  }

  @Override
  public Optional<StoredDataKey> replace(String expectedRevision, DataKeyRecord next) {
    Objects.requireNonNull(expectedRevision, "expectedRevision");
    Objects.requireNonNull(next, "next");
    long expected;
    try {
      expected = Long.parseLong(expectedRevision);
    } catch (NumberFormatException e) {
      return Optional.empty(); // not a revision this table ever gave: it cannot be current
    }
    byte[] bytes = next.toBytes();
    tableCheck.ensureForCall();
    try {
      return db.run(c -> {
        Optional<StoredDataKey> current = selectOne(c, next.id());
        if (current.isEmpty() || !current.get().revision().equals(Long.toString(expected))) {
          return Optional.empty();
        }
        DataKeyStore.checkReplacement(current.get().record(), next);
        try (PreparedStatement ps = db.bounded(c, table.update)) {
          DataKeyTable.bindPrimary(ps, 1, next);
          ps.setBytes(3, bytes);
          ps.setString(4, next.id().hex());
          ps.setLong(5, expected);
          return ps.executeUpdate() == 1
              ? Optional.of(new StoredDataKey(next, Long.toString(expected + 1)))
              : Optional.empty();
        }
      });
    } catch (SQLException e) {
      // A serialization failure, or H2's "concurrent update": another writer changed the row.
      if (Connections.hasState(e, "40001", "90131")) {
        return Optional.empty();
      }
      throw unavailable("replacing", next.id(), e);
    }
  }

  @Override
  public Optional<StoredDataKey> newestWritable(String providerId, KeyReference primary,
      Instant notBefore) {
    Objects.requireNonNull(providerId, "providerId");
    Objects.requireNonNull(primary, "primary");
    Objects.requireNonNull(notBefore, "notBefore");
    tableCheck.ensureForCall();
    try {
      return db.run(c -> {
        try (PreparedStatement ps = db.bounded(c, table.newest)) {
          ps.setString(1, providerId);
          ps.setString(2, primary.toString());
          ps.setObject(3, DataKeyTable.utc(notBefore));
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(DataKeyTable.read(rs)) : Optional.empty();
          }
        }
      });
    } catch (SQLException e) {
      throw tableCheck.failed("finding the newest data-key record under " + primary + " in table "
          + table.name, e);
    }
  }

  @Override
  public List<StoredDataKey> page(@Nullable DataKeyId after, int limit) {
    DataKeyStore.checkPageSize(limit);
    tableCheck.ensureForCall();
    try {
      return db.run(c -> {
        String sql = after == null ? table.firstPage : table.nextPage;
        try (PreparedStatement ps = db.bounded(c, sql)) {
          int at = 1;
          if (after != null) {
            ps.setString(at++, after.hex());
          }
          ps.setInt(at, limit);
          List<StoredDataKey> page = new ArrayList<>(Math.min(limit, 64));
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              page.add(DataKeyTable.read(rs));
            }
          }
          return page;
        }
      });
    } catch (SQLException e) {
      throw tableCheck.failed("listing the data-key records after " + (after == null ? "the start"
          : after) + " in table " + table.name, e);
    }
  }

  private DataKeyStoreUnavailableException unavailable(String what, DataKeyId id,
      SQLException e) {
    return tableCheck.failed(what + " data-key record " + id + " in table " + table.name, e);
  }

  @Override
  public String toString() {
    return "JdbcDataKeyStore[table=" + table.name + "]";
  }

  /**
   * Configures a {@link JdbcDataKeyStore}: {@link #dataSource} (required), {@link #table} (default
   * {@value JdbcDataKeyStore#DEFAULT_TABLE}; its index is {@code <name>_by_primary}), {@link
   * #createTable}, {@link #checkAtFirstUse} and {@link #queryTimeout} (default {@link
   * JdbcDataKeyStore#DEFAULT_QUERY_TIMEOUT}), each at most once. The store borrows a connection
   * per data-key roll and per record read, never per envelope; until a deferred check succeeds,
   * every call throws {@link DataKeyStoreUnavailableException}, as does a statement that runs
   * past the query timeout.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder extends JdbcStoreBuilder<Builder> {
    private Builder() {
      super(name -> new DataKeyTable(name).name);
    }

    /**
     * Creates the table and index if missing (unless turned off) and checks their shape: the
     * six columns with their kinds and sizes, {@code id} the primary key, the index on {@code
     * (provider_id, key_reference, created_at)}, and {@code WRITE_DELAY=0} on H2 (unless
     * deferred by {@link #checkAtFirstUse()}).
     *
     * @return the store
     * @throws IllegalStateException if no data source was set, or the table is missing (with
     *     {@code createTable(false)}) or has the wrong shape
     * @throws DataKeyStoreUnavailableException if the database cannot be reached or refuses
     */
    public JdbcDataKeyStore build() {
      JdbcDataKeyStore store = new JdbcDataKeyStore(connections(DEFAULT_QUERY_TIMEOUT),
          new DataKeyTable(tableOr(DEFAULT_TABLE)), createsTable());
      if (checksAtBuild()) {
        store.tableCheck.ensure();
      }
      return store;
    }
  }
}
