package dev.cmk.state.jdbc;

import dev.cmk.core.fleet.FleetStateStore;

/**
 * The store contract on a real PostgreSQL server (see {@link TestDatabases}): two store instances
 * with their own connections, i.e. two replicas.
 */
class JdbcFleetStateStorePostgresIT extends JdbcReplicasContract {

  @Override
  FleetStateStore replica() {
    return JdbcFleetStateStore.builder().dataSource(TestDatabases.postgres())
        .table("cmk_fleet_state_contract").build();
  }
}
