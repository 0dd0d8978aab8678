package dev.cmk.state.jdbc;

import dev.cmk.core.fleet.FleetStateStore;
import javax.sql.DataSource;

/** The store contract on embedded H2: two store instances (replicas) on one database. */
class JdbcFleetStateStoreH2Test extends JdbcReplicasContract {
  private static final DataSource DB = TestDatabases.h2("contract");

  @Override
  FleetStateStore replica() {
    return JdbcFleetStateStore.builder().dataSource(DB).build();
  }
}
