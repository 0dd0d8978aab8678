package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cmk.testkit.ModuleDescriptors;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Architecture: every main package of this module is non-null by default (JSpecify). */
class NullMarkedTest {
  @Test
  void everyMainPackage_isNullMarked() {
    assertEquals(
        Set.of("dev.cmk.azure", "dev.cmk.azure.internal"),
        ModuleDescriptors.assertEveryPackageNullMarked(AzureKeyVaultProvider.class));
  }

  /** cmk-testkit-keyvault's own tests cannot read cmk-testkit's module; its users check it. */
  @Test
  void loopbackKeyVault_everyMainPackage_isNullMarked() {
    assertEquals(
        Set.of("dev.cmk.testkit.keyvault"),
        ModuleDescriptors.assertEveryPackageNullMarked(
            dev.cmk.testkit.keyvault.LoopbackKeyVault.class));
  }
}
