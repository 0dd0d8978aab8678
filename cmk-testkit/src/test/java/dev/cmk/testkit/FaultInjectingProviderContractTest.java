package dev.cmk.testkit;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyManager;
import java.util.Set;

/**
 * A {@link FaultInjectingProvider} with no fault set is transparent: wrapped around the in-memory
 * provider it passes the whole provider contract (through the abstract class, as providers whose
 * keys are managed some other way use it).
 */
class FaultInjectingProviderContractTest extends KeyEncryptionKeyProviderContract {
  private static final InMemoryKeyProvider BACKEND =
      InMemoryKeyProvider.builder().id("backend").build();
  private static final KeyManager KEYS = BACKEND.keyManager().orElseThrow();
  private static final FaultInjectingProvider PROVIDER = FaultInjectingProvider.wrapping(BACKEND);

  @Override
  protected KeyEncryptionKeyProvider provider() {
    return PROVIDER;
  }

  @Override
  protected Set<Integer> keySizes() {
    return Set.of(2048);
  }

  @Override
  protected KeyReference createKey(String name, int sizeBits) {
    return KEYS.createKey(name, sizeBits);
  }

  @Override
  protected KeyReference rotateKey(KeyReference key) {
    return KEYS.rotateKey(key);
  }

  @Override
  protected void setEnabled(KeyReference version, boolean enabled) {
    KEYS.setEnabled(version, enabled);
  }

  @Override
  protected void deleteKey(KeyReference key) {
    KEYS.deleteKey(key);
  }
}
