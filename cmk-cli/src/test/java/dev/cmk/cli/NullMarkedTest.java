package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cmk.testkit.ModuleDescriptors;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Architecture: every main package of this module is non-null by default (JSpecify). */
class NullMarkedTest {
  @Test
  void everyMainPackage_isNullMarked() {
    assertEquals(
        Set.of("dev.cmk.cli"),
        ModuleDescriptors.assertEveryPackageNullMarked(CmkCommand.class));
  }
}
