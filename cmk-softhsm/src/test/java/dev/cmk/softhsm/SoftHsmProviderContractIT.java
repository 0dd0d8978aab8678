package dev.cmk.softhsm;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.testkit.KeyEncryptionKeyProviderContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The provider contract from cmk-testkit, run against a real SoftHSM2 token. */
class SoftHsmProviderContractIT extends KeyEncryptionKeyProviderContract {
  private static Pkcs11KeyProvider provider;

  @BeforeAll
  static void setUp() {
    provider = SoftHsm.createToken("contract-it").provider().build();
  }

  @AfterAll
  static void tearDown() {
    if (provider != null) {
      provider.close();
    }
  }

  @Override
  protected KeyEncryptionKeyProvider provider() {
    return provider;
  }

  @Override
  protected KeyReference createKey(String name, int sizeBits) {
    return provider.manager().createKey(name, sizeBits);
  }

  @Override
  protected KeyReference rotateKey(KeyReference key) {
    return provider.manager().rotateKey(key);
  }

  @Override
  protected void setEnabled(KeyReference version, boolean enabled) {
    provider.manager().setEnabled(version, enabled);
  }

  @Override
  protected void deleteKey(KeyReference key) {
    provider.manager().deleteKey(key);
  }
}
