/**
 * {@link dev.cmk.state.jdbc.JdbcFleetStateStore}: the fleet's loss-of-access state in one table,
 * changed by conditional updates, for services that run as several replicas on one database.
 */
package dev.cmk.state.jdbc;
