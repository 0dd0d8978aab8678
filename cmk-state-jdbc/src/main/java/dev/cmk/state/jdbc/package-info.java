/**
 * {@link dev.cmk.state.jdbc.JdbcFleetStateStore}: the fleet's loss-of-access state in one table,
 * changed by conditional updates, for services that run as several replicas on one database.
 *
 * <p>Non-null by default: parameters, return values and fields are never null unless marked
 * {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cmk.state.jdbc;

import org.jspecify.annotations.NullMarked;
