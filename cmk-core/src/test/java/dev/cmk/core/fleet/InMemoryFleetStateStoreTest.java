package dev.cmk.core.fleet;

/** The in-memory store meets the store contract (two replicas = one instance in one process). */
class InMemoryFleetStateStoreTest extends FleetStateStoreContract {
  private final InMemoryFleetStateStore shared = new InMemoryFleetStateStore();

  @Override
  protected FleetStateStore store() {
    return shared;
  }

  @Override
  protected FleetStateStore otherReplica() {
    return shared;
  }
}
