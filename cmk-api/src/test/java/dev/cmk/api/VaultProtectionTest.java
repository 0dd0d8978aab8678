package dev.cmk.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class VaultProtectionTest {

  /** Every recovery level Key Vault documents (DeletionRecoveryLevel). */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "Purgeable,                                   false, false, 0",
    "Recoverable+Purgeable,                       true,  false, 90",
    "Recoverable,                                 true,  true,  90",
    "Recoverable+ProtectedSubscription,           true,  true,  90",
    "CustomizedRecoverable+Purgeable,             true,  false, 90",
    "CustomizedRecoverable,                       true,  true,  90",
    "CustomizedRecoverable+ProtectedSubscription, true,  true,  90"
  })
  void fromAzureRecoveryLevel_eachLevel_mapsSoftDeleteAndPurgeProtection(
      String level, boolean softDelete, boolean purgeProtection, int days) {
    VaultProtection p = VaultProtection.fromAzureRecoveryLevel(level, 90);
    assertEquals(softDelete, p.softDeleteEnabled(), "soft delete");
    assertEquals(purgeProtection, p.purgeProtectionEnabled(), "purge protection");
    assertEquals(days, p.retentionDays(), "retention days");
    assertEquals(level, p.recoveryLevel());
  }

  @Test
  void fromAzureRecoveryLevel_customizedRetention_isKept() {
    assertEquals(7, VaultProtection.fromAzureRecoveryLevel("CustomizedRecoverable", 7).retentionDays());
  }

  @Test
  void fromAzureRecoveryLevel_unknownDays_isZero() {
    VaultProtection p = VaultProtection.fromAzureRecoveryLevel("Recoverable", null);
    assertEquals(0, p.retentionDays());
    assertEquals(true, p.purgeProtectionEnabled());
  }

  @Test
  void fromAzureRecoveryLevel_nullLevel_throwsNullPointer() {
    assertEquals(
        "recoveryLevel",
        assertThrows(NullPointerException.class, () -> VaultProtection.fromAzureRecoveryLevel(null, 90))
            .getMessage());
  }

  @Test
  void none_hasNoProtection() {
    VaultProtection p = VaultProtection.none();
    assertEquals(new VaultProtection(false, false, 0, null), p);
    assertNull(p.recoveryLevel());
  }

  @Test
  void constructor_invalidCombination_isRejected() {
    assertThrows(IllegalArgumentException.class, () -> new VaultProtection(false, true, 90, null));
    assertThrows(IllegalArgumentException.class, () -> new VaultProtection(true, true, -1, null));
  }
}
