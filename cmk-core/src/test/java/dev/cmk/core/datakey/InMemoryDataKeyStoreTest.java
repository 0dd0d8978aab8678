package dev.cmk.core.datakey;

/** The in-memory store keeps the store contract (both "instances" are the same object). */
class InMemoryDataKeyStoreTest extends DataKeyStoreContract {
  private final InMemoryDataKeyStore store = new InMemoryDataKeyStore();

  @Override
  protected DataKeyStore store() {
    return store;
  }

  @Override
  protected DataKeyStore otherInstance() {
    return store;
  }
}
