package dev.cmk.state.azureblob;

import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.DataKeyStoreContract;
import dev.cmk.testkit.azurite.Azurite;
import org.junit.jupiter.api.BeforeAll;

/**
 * The data-key store contract against Azurite with the real SDK: {@link #store()} and {@link
 * #otherInstance()} are two stores over two container clients with separate HTTP clients.
 */
class BlobDataKeyStoreContractIT extends DataKeyStoreContract {
  private static BlobDataKeyStore a;
  private static BlobDataKeyStore b;

  @BeforeAll
  static void startAzurite() {
    Azurite azurite = Azurite.shared();
    String container = azurite.createContainer();
    a = BlobDataKeyStore.builder().containerClient(azurite.client(container)).build();
    b = BlobDataKeyStore.builder().containerClient(azurite.client(container)).build();
  }

  @Override
  protected DataKeyStore store() {
    return a;
  }

  @Override
  protected DataKeyStore otherInstance() {
    return b;
  }
}
