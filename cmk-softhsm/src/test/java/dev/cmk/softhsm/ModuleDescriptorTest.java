package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Pins the module descriptor: one exported package, no opens, the factory provided. */
class ModuleDescriptorTest {

  private static ModuleDescriptor descriptor() throws Exception {
    Path classes = Path.of(Pkcs11KeyProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return ModuleFinder.of(classes).find("dev.cmk.softhsm").orElseThrow().descriptor();
  }

  @Test
  void descriptor_exportsOnlyPublicPackage() throws Exception {
    ModuleDescriptor d = descriptor();
    assertEquals(
        Set.of("dev.cmk.softhsm"),
        d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified));
    assertTrue(d.opens().isEmpty(), "no package is open to reflection");
    assertTrue(!d.isOpen());
  }

  @Test
  void descriptor_providesFactoryAndRequiresApiTransitively() throws Exception {
    ModuleDescriptor d = descriptor();
    assertEquals(1, d.provides().size());
    ModuleDescriptor.Provides p = d.provides().iterator().next();
    assertEquals("dev.cmk.api.spi.KeyEncryptionKeyProviderFactory", p.service());
    assertEquals(java.util.List.of("dev.cmk.softhsm.internal.Pkcs11KeyProviderFactory"), p.providers());
    assertTrue(
        d.requires().stream()
            .anyMatch(
                r ->
                    r.name().equals("dev.cmk.api")
                        && r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE)));
  }
}
