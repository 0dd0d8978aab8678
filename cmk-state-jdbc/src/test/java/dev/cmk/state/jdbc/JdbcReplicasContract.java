package dev.cmk.state.jdbc;

import dev.cmk.core.fleet.FleetStateStore;
import dev.cmk.core.fleet.FleetStateStoreContract;
import org.junit.jupiter.api.BeforeEach;

/**
 * The store contract on JDBC with two replicas: before each test, two store instances, each built
 * by {@link #replica()} on the same database (a subclass whose database is missing aborts the
 * test there, as an assumption).
 */
abstract class JdbcReplicasContract extends FleetStateStoreContract {
  private FleetStateStore a;
  private FleetStateStore b;

  /** A new store instance on the test's database. */
  abstract FleetStateStore replica();

  @BeforeEach
  void replicas() {
    a = replica();
    b = replica();
  }

  @Override
  protected final FleetStateStore store() {
    return a;
  }

  @Override
  protected final FleetStateStore otherReplica() {
    return b;
  }
}
