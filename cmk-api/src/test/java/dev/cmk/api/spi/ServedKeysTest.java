package dev.cmk.api.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServedKeysTest {
  private static final KeyEncryptionKeyProvider LOCAL_ONLY = new StubProvider("local-only");

  private static final KeyReference LOCAL = KeyReference.local("k", "v1");
  private static final KeyReference PKCS11 = KeyReference.parse("pkcs11:token=t;object=k;id=v1");

  @Test
  void requireServed_servedReference_returnsIt() {
    assertSame(LOCAL, ServedKeys.requireServed(LOCAL_ONLY, LOCAL));
  }

  @Test
  void requireServed_otherKind_keyNotFoundNamingProviderAndReference() {
    KeyNotFoundException e =
        assertThrows(KeyNotFoundException.class, () -> ServedKeys.requireServed(LOCAL_ONLY, PKCS11));
    assertEquals(Optional.of(PKCS11), e.keyReference());
    assertTrue(e.getMessage().contains("'local-only' does not serve"), e.getMessage());
    assertTrue(e.isAuthoritative());
  }

  @Test
  void requireOwn_sameProviderServedKey_returnsReference() {
    WrappedKey own = new WrappedKey("local-only", LOCAL, WrapAlgorithm.RSA_OAEP_256, new byte[256]);
    assertEquals(LOCAL, ServedKeys.requireOwn(LOCAL_ONLY, own));
  }

  @Test
  void requireOwn_otherProviderId_keyNotFound() {
    WrappedKey other = new WrappedKey("keystore", LOCAL, WrapAlgorithm.RSA_OAEP_256, new byte[256]);
    KeyNotFoundException e =
        assertThrows(KeyNotFoundException.class, () -> ServedKeys.requireOwn(LOCAL_ONLY, other));
    assertTrue(
        e.getMessage().contains("wrapped by provider 'keystore', not by 'local-only'"),
        e.getMessage());
  }

  @Test
  void requireOwn_ownIdButUnservedKey_keyNotFound() {
    WrappedKey unserved =
        new WrappedKey("local-only", PKCS11, WrapAlgorithm.RSA_OAEP_256, new byte[256]);
    assertThrows(KeyNotFoundException.class, () -> ServedKeys.requireOwn(LOCAL_ONLY, unserved));
  }

  @Test
  void nullArguments_nullPointer() {
    assertThrows(NullPointerException.class, () -> ServedKeys.requireServed(LOCAL_ONLY, null));
    assertThrows(NullPointerException.class, () -> ServedKeys.requireServed(null, LOCAL));
    assertThrows(NullPointerException.class, () -> ServedKeys.requireOwn(LOCAL_ONLY, null));
  }
}
