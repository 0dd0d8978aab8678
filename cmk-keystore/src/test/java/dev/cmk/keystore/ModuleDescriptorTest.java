package dev.cmk.keystore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Pins the module descriptor: one exported package, no opens, the factory provided. */
class ModuleDescriptorTest {

  private static ModuleDescriptor descriptor() throws Exception {
    Path classes =
        Path.of(
            KeystoreKeyProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return ModuleFinder.of(classes).find("dev.cmk.keystore").orElseThrow().descriptor();
  }

  @Test
  void descriptor_exportsOnlyPublicPackage() throws Exception {
    ModuleDescriptor d = descriptor();
    assertEquals(
        Set.of("dev.cmk.keystore"),
        d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    assertTrue(d.opens().isEmpty(), "no package is open to reflection");
    assertFalse(d.isOpen());
  }

  @Test
  void descriptor_providesFactory() throws Exception {
    ModuleDescriptor d = descriptor();
    assertEquals(1, d.provides().size());
    ModuleDescriptor.Provides p = d.provides().iterator().next();
    assertEquals("dev.cmk.api.spi.KeyEncryptionKeyProviderFactory", p.service());
    assertEquals(List.of("dev.cmk.keystore.internal.KeystoreKeyProviderFactory"), p.providers());
  }
}
