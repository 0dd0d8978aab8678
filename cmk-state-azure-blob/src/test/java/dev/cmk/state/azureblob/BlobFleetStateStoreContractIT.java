package dev.cmk.state.azureblob;

import dev.cmk.core.fleet.FleetStateStore;
import dev.cmk.core.fleet.FleetStateStoreContract;
import dev.cmk.testkit.azurite.Azurite;
import org.junit.jupiter.api.BeforeAll;

/**
 * The store contract against Azurite with the real SDK: {@link #store()} and {@link
 * #otherReplica()} are two stores over two container clients with separate HTTP clients.
 */
class BlobFleetStateStoreContractIT extends FleetStateStoreContract {
  private static BlobFleetStateStore replicaA;
  private static BlobFleetStateStore replicaB;

  @BeforeAll
  static void startAzurite() {
    Azurite azurite = Azurite.shared();
    String container = azurite.createContainer();
    replicaA = BlobFleetStateStore.builder().containerClient(azurite.client(container)).build();
    replicaB = BlobFleetStateStore.builder().containerClient(azurite.client(container)).build();
  }

  @Override
  protected FleetStateStore store() {
    return replicaA;
  }

  @Override
  protected FleetStateStore otherReplica() {
    return replicaB;
  }
}
