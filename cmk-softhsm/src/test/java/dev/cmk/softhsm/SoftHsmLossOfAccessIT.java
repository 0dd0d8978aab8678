package dev.cmk.softhsm;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.ContractSubject;
import dev.cmk.testkit.LossOfAccessContract;
import dev.cmk.testkit.ManualClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * cmk-testkit's loss-of-access contract on a real SoftHSM2 token: the key is disabled and enabled
 * again by a second JVM through {@link Pkcs11KeyManager}, behind the guarded instance's back. The
 * mid-traffic variant (threads, no token call while suspended) is {@link SoftHsmKeyAccessGuardIT}.
 */
class SoftHsmLossOfAccessIT implements LossOfAccessContract {
  private static SoftHsm.TestToken token;
  private static Pkcs11KeyProvider admin;

  @BeforeAll
  static void createToken() {
    token = SoftHsm.createToken("loss-it");
    admin = token.provider().build();
  }

  @AfterAll
  static void closeAdmin() {
    if (admin != null) {
      admin.close();
    }
  }

  @Override
  public ContractSubject subject() {
    ContractSubject inProcess = ContractSubject.of(admin);
    return new ContractSubject() {
      @Override
      public KeyEncryptionKeyProvider provider() {
        return admin;
      }

      @Override
      public KeyReference createKey(String name, int sizeBits) {
        return inProcess.createKey(name, sizeBits);
      }

      @Override
      public KeyReference rotateKey(KeyReference key) {
        return inProcess.rotateKey(key);
      }

      @Override
      public void setEnabled(KeyReference version, boolean enabled) {
        SoftHsm.inSecondProcess(token, enabled ? "enable" : "disable", version);
      }

      @Override
      public void deleteKey(KeyReference key) {
        inProcess.deleteKey(key);
      }
    };
  }

  @Override
  public GuardedEnvelopes guarded(KeyReference key, ManualClock clock) {
    Pkcs11KeyProvider provider = token.provider().clock(clock).build();
    EnvelopeCrypto crypto = CmkOnToken.guarded(provider, key, clock).build();
    return GuardedEnvelopes.of(
        crypto::encrypt,
        crypto::decrypt,
        () -> crypto.keyAccess().refresh(),
        () -> {
          crypto.close();
          provider.close();
        });
  }
}
