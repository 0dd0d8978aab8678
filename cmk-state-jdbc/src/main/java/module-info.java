/**
 * cmk's state in a relational database (PostgreSQL, H2) through a {@code javax.sql.DataSource}:
 * the shared loss-of-access state of a service's replicas ({@link
 * dev.cmk.state.jdbc.JdbcFleetStateStore}, a {@code dev.cmk.core.fleet.FleetStateStore}) and format
 * v2's data-key records ({@link dev.cmk.state.jdbc.JdbcDataKeyStore}, a {@code
 * dev.cmk.core.datakey.DataKeyStore}), one table each. Users bring their driver and pool; {@link
 * dev.cmk.state.jdbc.DriverManagerDataSource} is a pool-less data source for tools and tests.
 */
module dev.cmk.state.jdbc {
  requires static org.jspecify;
  requires transitive dev.cmk.core;
  requires transitive java.sql;

  exports dev.cmk.state.jdbc;
}
