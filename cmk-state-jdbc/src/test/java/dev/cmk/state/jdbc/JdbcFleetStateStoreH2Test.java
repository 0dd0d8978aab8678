package dev.cmk.state.jdbc;

import dev.cmk.core.fleet.FleetStateStore;
import dev.cmk.core.fleet.FleetStateStoreContract;
import javax.sql.DataSource;

/** The store contract on embedded H2: two store instances (replicas) on one database. */
class JdbcFleetStateStoreH2Test extends FleetStateStoreContract {
  private static final DataSource DB = TestDatabases.h2("contract");
  private final FleetStateStore a = JdbcFleetStateStore.builder().dataSource(DB).build();
  private final FleetStateStore b = JdbcFleetStateStore.builder().dataSource(DB).build();

  @Override
  protected FleetStateStore store() {
    return a;
  }

  @Override
  protected FleetStateStore otherReplica() {
    return b;
  }
}
