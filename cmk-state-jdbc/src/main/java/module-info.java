/**
 * The shared loss-of-access state of a service's replicas in one table of a relational database:
 * {@link dev.cmk.state.jdbc.JdbcFleetStateStore}, a {@code dev.cmk.core.fleet.FleetStateStore}
 * over a {@code javax.sql.DataSource} (PostgreSQL, H2). Users bring their driver and pool.
 */
module dev.cmk.state.jdbc {
  requires static org.jspecify;
  requires transitive dev.cmk.core;
  requires transitive java.sql;

  exports dev.cmk.state.jdbc;
}
