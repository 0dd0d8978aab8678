package dev.cmk.azureblob;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cmk.testkit.ModuleDescriptors;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Architecture: every main package of this module is non-null by default (JSpecify). */
class NullMarkedTest {
  @Test
  void everyMainPackage_isNullMarked() {
    assertEquals(
        Set.of("dev.cmk.azureblob"),
        ModuleDescriptors.assertEveryPackageNullMarked(EnvelopeBlobClient.class));
  }

  /** cmk-testkit-azurite's own tests cannot read cmk-testkit's module; its users check it. */
  @Test
  void azurite_everyMainPackage_isNullMarked() {
    assertEquals(
        Set.of("dev.cmk.testkit.azurite"),
        ModuleDescriptors.assertEveryPackageNullMarked(dev.cmk.testkit.azurite.Azurite.class));
  }
}
