package dev.cmk.state.jdbc;

import dev.cmk.core.fleet.FleetStateStore;
import dev.cmk.core.fleet.FleetStateStoreContract;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;

/**
 * The store contract on a real PostgreSQL server (see {@link TestDatabases}): two store instances
 * with their own connections, i.e. two replicas.
 */
class JdbcFleetStateStorePostgresIT extends FleetStateStoreContract {
  private FleetStateStore a;
  private FleetStateStore b;

  @BeforeEach
  void connect() {
    DataSource db = TestDatabases.postgres();
    a = JdbcFleetStateStore.builder().dataSource(db).table("cmk_fleet_state_contract").build();
    b = JdbcFleetStateStore.builder().dataSource(TestDatabases.postgres())
        .table("cmk_fleet_state_contract").build();
  }

  @Override
  protected FleetStateStore store() {
    return a;
  }

  @Override
  protected FleetStateStore otherReplica() {
    return b;
  }
}
