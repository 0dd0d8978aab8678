package dev.cmk.api;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the key's holding vault promises about deletion: whether deleted keys are kept (soft
 * delete), whether they can be purged before their retention ends (purge protection), and for how
 * many days.
 *
 * @param softDeleteEnabled deleted keys are recoverable for {@code retentionDays}
 * @param purgeProtectionEnabled deleted keys cannot be purged before retention ends
 * @param retentionDays days a deleted key is kept; 0 when soft delete is off or unknown
 * @param recoveryLevel the provider's raw recovery level (e.g. Key Vault's {@code
 *     Recoverable+ProtectedSubscription}), or {@code null}
 */
public record VaultProtection(
    boolean softDeleteEnabled,
    boolean purgeProtectionEnabled,
    int retentionDays,
    @Nullable String recoveryLevel) {

  /**
   * Validates the combination.
   *
   * @param softDeleteEnabled deleted keys are recoverable for {@code retentionDays}
   * @param purgeProtectionEnabled deleted keys cannot be purged before retention ends
   * @param retentionDays days a deleted key is kept; 0 when soft delete is off or unknown
   * @param recoveryLevel the provider's raw recovery level, or {@code null}
   * @throws IllegalArgumentException if {@code retentionDays} is negative, or purge protection is
   *     on without soft delete
   */
  public VaultProtection {
    if (retentionDays < 0) {
      throw new IllegalArgumentException("retentionDays must not be negative");
    }
    if (purgeProtectionEnabled && !softDeleteEnabled) {
      throw new IllegalArgumentException("purge protection requires soft delete");
    }
  }

  /** {@return protection without soft delete or purge protection: what a bare HSM token offers} */
  public static VaultProtection none() {
    return new VaultProtection(false, false, 0, null);
  }

  /**
   * Derives the protection from Azure Key Vault's {@code recoveryLevel} and {@code
   * recoverableDays}: any level containing {@code Recoverable} means soft delete; a level
   * containing {@code Purgeable} means no purge protection.
   *
   * @param recoveryLevel e.g. {@code Recoverable}, {@code Recoverable+Purgeable}, {@code
   *     CustomizedRecoverable+ProtectedSubscription}, {@code Purgeable}
   * @param recoverableDays retention, or {@code null}
   * @return the protection
   */
  public static VaultProtection fromAzureRecoveryLevel(
      String recoveryLevel, @Nullable Integer recoverableDays) {
    Objects.requireNonNull(recoveryLevel, "recoveryLevel");
    boolean soft = recoveryLevel.contains("Recoverable");
    boolean purgeable = recoveryLevel.contains("Purgeable");
    int days = recoverableDays == null || !soft ? 0 : recoverableDays;
    return new VaultProtection(soft, soft && !purgeable, days, recoveryLevel);
  }

}
