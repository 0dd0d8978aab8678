package dev.cmk.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cmk.testkit.ModuleDescriptors;
import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Pins the module descriptor: one exported package, no opens, core and Micrometer transitive. */
class ModuleDescriptorTest {

  @Test
  void descriptor_exportsOnlyThePublicPackage() {
    ModuleDescriptor d = ModuleDescriptors.assertExportsExactly(
        CmkMetrics.class, "dev.cmk.micrometer", "dev.cmk.micrometer");
    Set<String> transitive = d.requires().stream()
        .filter(r -> r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE))
        .map(ModuleDescriptor.Requires::name)
        .collect(Collectors.toSet());
    assertEquals(Set.of("dev.cmk.core", "micrometer.core"), transitive);
  }
}
