package dev.cmk.state.jdbc;

import java.time.Duration;
import java.util.Objects;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The settings both JDBC stores' builders take, each at most once: the data source (required),
 * the table, whether a missing table is created, when the table is checked, and the bound of
 * every statement. {@link JdbcDataKeyStore.Builder} and {@link JdbcFleetStateStore.Builder}
 * extend it and add their own {@code build()}; their Javadoc says what differs per store.
 *
 * <p>Not thread-safe.
 *
 * @param <B> the store's own builder, which every setter returns
 */
abstract class JdbcStoreBuilder<B extends JdbcStoreBuilder<B>> {
  private @Nullable DataSource dataSource;
  private @Nullable String table;
  private @Nullable Boolean createTable;
  private boolean checkAtFirstUse;
  private @Nullable Duration queryTimeout;

  private final UnaryOperator<String> tableRules;

  /**
   * @param tableRules checks a name given to {@link #table(String)} against the store's rules
   *     and returns it as the store keeps it, or throws {@link IllegalArgumentException}
   */
  JdbcStoreBuilder(UnaryOperator<String> tableRules) {
    this.tableRules = tableRules;
  }

  /** {@return this builder, as the store's own builder type} */
  @SuppressWarnings("unchecked") // B is the subclass, as the class declaration requires
  private B self() {
    return (B) this;
  }

  /**
   * The database. Bring your own pool: the store borrows one connection per call (see the
   * store's Javadoc for how often it calls) and never closes the data source.
   *
   * @param dataSource the data source, pointing at the primary (never a read replica)
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public B dataSource(DataSource dataSource) {
    if (this.dataSource != null) {
      throw new IllegalStateException("dataSource was already set");
    }
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    return self();
  }

  /**
   * The table (default: the store's {@code DEFAULT_TABLE}).
   *
   * @param table an unquoted SQL identifier, optionally schema-qualified: {@code
   *     [schema.]name}, letters, digits and {@code _}, at most 63 characters each (the data-key
   *     store's name at most 52, which leaves room for its index's name, {@code
   *     <name>_by_primary})
   * @return this builder
   * @throws IllegalArgumentException if it is not such an identifier
   * @throws IllegalStateException if already set
   */
  public B table(String table) {
    if (this.table != null) {
      throw new IllegalStateException("table was already set");
    }
    this.table = tableRules.apply(Objects.requireNonNull(table, "table"));
    return self();
  }

  /**
   * Whether the store creates its table (and index) when missing (default true). With false, a
   * missing table fails the check: for databases where the service's user may not run DDL.
   *
   * @param create whether to create a missing table
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public B createTable(boolean create) {
    if (this.createTable != null) {
      throw new IllegalStateException("createTable was already set");
    }
    this.createTable = create;
    return self();
  }

  /**
   * Defers creating and checking the table from {@code build()} to the store's first call
   * (default: at build). Then {@code build()} does not connect, and a database that is down when
   * the service starts, or a table of the wrong shape, surfaces as the store's "unavailable"
   * exception from every call until the check succeeds once.
   *
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public B checkAtFirstUse() {
    if (checkAtFirstUse) {
      throw new IllegalStateException("checkAtFirstUse was already set");
    }
    checkAtFirstUse = true;
    return self();
  }

  /**
   * The bound of every statement ({@code Statement.setQueryTimeout}, whole seconds, at least 1;
   * default: the store's {@code DEFAULT_QUERY_TIMEOUT}): a hung database fails the call as the
   * store's "unavailable" exception rather than holding the caller. Bound the pool's connection
   * wait too.
   *
   * @param timeout the bound, at least one second
   * @return this builder
   * @throws IllegalArgumentException if shorter than a second
   * @throws IllegalStateException if already set
   */
  public B queryTimeout(Duration timeout) {
    if (this.queryTimeout != null) {
      throw new IllegalStateException("queryTimeout was already set");
    }
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("queryTimeout must be at least one second");
    }
    this.queryTimeout = timeout;
    return self();
  }

  /**
   * The connections of the store being built, for {@code build()}.
   *
   * @param defaultTimeout the bound of every statement when none was set
   * @throws IllegalStateException if no data source was set
   */
  final Connections connections(Duration defaultTimeout) {
    if (dataSource == null) {
      throw new IllegalStateException("dataSource is required");
    }
    Duration timeout = queryTimeout != null ? queryTimeout : defaultTimeout;
    return new Connections(dataSource,
        (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toSeconds())));
  }

  /** {@return the table set, or {@code defaultTable}} */
  final String tableOr(String defaultTable) {
    return table != null ? table : defaultTable;
  }

  /** {@return whether the store may create a missing table} */
  final boolean createsTable() {
    return createTable == null || createTable;
  }

  /** {@return whether {@code build()} checks the table (not deferred to the first call)} */
  final boolean checksAtBuild() {
    return !checkAtFirstUse;
  }
}
