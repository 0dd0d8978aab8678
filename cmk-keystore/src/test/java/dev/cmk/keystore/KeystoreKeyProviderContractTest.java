package dev.cmk.keystore;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.testkit.KeyEncryptionKeyProviderContract;
import dev.cmk.testkit.KeyManagerContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The provider contract and the key-manager contract, against one keystore file shared by every
 * test of this class.
 */
class KeystoreKeyProviderContractTest extends KeyEncryptionKeyProviderContract
    implements KeyManagerContract {

  private static final KeystoreKeyProvider PROVIDER = open();

  private static KeystoreKeyProvider open() {
    try {
      Path dir = Files.createTempDirectory("cmk-keystore-contract");
      dir.toFile().deleteOnExit();
      return KeystoreKeyProvider.builder()
          .path(dir.resolve("contract.p12"))
          .password("contract-test-password"::toCharArray)
          .create(true)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected KeyEncryptionKeyProvider provider() {
    return PROVIDER;
  }

  @Override
  protected KeyReference createKey(String name, int sizeBits) {
    return PROVIDER.keyManager().orElseThrow().createKey(name, sizeBits);
  }

  @Override
  protected KeyReference rotateKey(KeyReference key) {
    return PROVIDER.keyManager().orElseThrow().rotateKey(key);
  }

  @Override
  protected void setEnabled(KeyReference version, boolean enabled) {
    PROVIDER.keyManager().orElseThrow().setEnabled(version, enabled);
  }

  @Override
  protected void deleteKey(KeyReference key) {
    PROVIDER.keyManager().orElseThrow().deleteKey(key);
  }

  @Override
  protected int concurrentRoundTripsPerThread() {
    return 20;
  }
}
