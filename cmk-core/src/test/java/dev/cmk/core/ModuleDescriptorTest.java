package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Pins what cmk-core exports: internals stay internal, nothing is opened for reflection. */
class ModuleDescriptorTest {
  @Test
  void coreModule_exportsOnlyThePublicPackages() {
    ModuleDescriptor d = EnvelopeCrypto.class.getModule().getDescriptor();
    assertEquals("dev.cmk.core", d.name());
    Set<String> exports = d.exports().stream()
        .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
    assertEquals(Set.of("dev.cmk.core", "dev.cmk.core.datakey", "dev.cmk.core.fleet",
        "dev.cmk.core.tenant"), exports);
    assertTrue(d.opens().isEmpty());
    assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified));
  }

  @Test
  void apiModule_exportsApiAndSpiOnly() {
    ModuleDescriptor d = dev.cmk.api.KeyReference.class.getModule().getDescriptor();
    assertEquals("dev.cmk.api", d.name());
    assertEquals(Set.of("dev.cmk.api", "dev.cmk.api.spi"), d.exports().stream()
        .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    // The one exception: JSpecify's nullness annotations, needed at compile time only.
    assertTrue(d.requires().stream().allMatch(r -> r.name().startsWith("java.")
            || (r.name().equals("org.jspecify")
                && r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC))),
        "cmk-api has no third-party run-time dependencies: " + d.requires());
  }
}
