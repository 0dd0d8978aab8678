package dev.cmk.softhsm;

import dev.cmk.testkit.ContractSubject;
import dev.cmk.testkit.InvalidCiphertextContract;
import dev.cmk.testkit.KeyManagerContract;
import dev.cmk.testkit.KeyNotFoundContract;
import dev.cmk.testkit.KeyVersionsContract;
import dev.cmk.testkit.WrapUnwrapContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The provider contracts from cmk-testkit, run against a real SoftHSM2 token, its keys managed
 * through {@link Pkcs11KeyManager}.
 */
class SoftHsmProviderContractIT
    implements WrapUnwrapContract,
        KeyVersionsContract,
        KeyNotFoundContract,
        InvalidCiphertextContract,
        KeyManagerContract {
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
  public ContractSubject subject() {
    return ContractSubject.of(provider);
  }
}
