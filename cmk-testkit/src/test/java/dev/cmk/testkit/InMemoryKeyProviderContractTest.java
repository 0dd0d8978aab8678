package dev.cmk.testkit;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;

/** The in-memory provider passes the provider contract. */
class InMemoryKeyProviderContractTest extends KeyEncryptionKeyProviderContract {
  private static final InMemoryKeyProvider PROVIDER = InMemoryKeyProvider.create();

  @Override
  protected KeyEncryptionKeyProvider provider() {
    return PROVIDER;
  }

  @Override
  protected KeyReference createKey(String name, int sizeBits) {
    return PROVIDER.createKey(name, sizeBits);
  }

  @Override
  protected KeyReference rotateKey(KeyReference key) {
    return PROVIDER.rotate(key);
  }

  @Override
  protected void setEnabled(KeyReference version, boolean enabled) {
    PROVIDER.setEnabled(version, enabled);
  }

  @Override
  protected void deleteKey(KeyReference key) {
    PROVIDER.delete(key);
  }
}
