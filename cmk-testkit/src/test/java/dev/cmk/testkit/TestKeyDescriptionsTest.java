package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.TokenProtection;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The description a hand-written test provider returns for a key a test is not about. */
class TestKeyDescriptionsTest {
  private static final KeyReference V1 = KeyReference.parse("local:described/v1");

  @Test
  void usable_enabledUnboundedWrapUnwrapInARecoverableVault_andUsableForBoth() {
    KeyDescription d = TestKeyDescriptions.usable(V1, KeyType.RSA_HSM, 3072);

    assertEquals(V1, d.reference());
    assertEquals(KeyType.RSA_HSM, d.keyType());
    assertEquals(3072, d.sizeBits());
    assertTrue(d.enabled());
    assertNull(d.notBefore());
    assertNull(d.expiresOn());
    assertEquals(Set.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY), d.operations());
    assertEquals(TestKeyDescriptions.RECOVERABLE_VAULT, d.vaultProtection());
    assertEquals(TokenProtection.none(), d.tokenProtection());
    d.checkUsable(KeyOperation.WRAP_KEY, Instant.parse("2100-01-01T00:00:00Z"));
    d.checkUsable(KeyOperation.UNWRAP_KEY, Instant.EPOCH);
  }

  @Test
  void recoverableVault_isTheInMemoryProvidersDefault_softDeleteAndPurgeProtection() {
    assertEquals(TestKeyDescriptions.RECOVERABLE_VAULT,
        InMemoryKeyProvider.builder().build().vaultProtection());
    assertTrue(TestKeyDescriptions.RECOVERABLE_VAULT.softDeleteEnabled());
    assertTrue(TestKeyDescriptions.RECOVERABLE_VAULT.purgeProtectionEnabled());
  }

  @Test
  void usable_refusesNullsAndANegativeSize() {
    assertThrows(NullPointerException.class, () -> TestKeyDescriptions.usable(null, KeyType.RSA, 2048));
    assertThrows(NullPointerException.class, () -> TestKeyDescriptions.usable(V1, null, 2048));
    assertThrows(IllegalArgumentException.class, () -> TestKeyDescriptions.usable(V1, KeyType.RSA, -1));
  }
}
