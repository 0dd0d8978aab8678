package dev.cmk.azureblob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Pins the module descriptor (the tests run on the class path, so it is read as a file). */
class ModuleDescriptorTest {
  @Test
  void descriptor_exportsOnlyTheApiPackage_andOpensNothing() throws URISyntaxException {
    Path classes = Path.of(
        EnvelopeBlobClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor d = ModuleFinder.of(classes).findAll().iterator().next().descriptor();
    assertEquals("dev.cmk.azureblob", d.name());
    assertEquals(Set.of("dev.cmk.azureblob"), d.exports().stream()
        .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    assertTrue(d.opens().isEmpty());
    assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified));
    Set<String> transitive = d.requires().stream()
        .filter(r -> r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE))
        .map(ModuleDescriptor.Requires::name).collect(Collectors.toSet());
    assertEquals(Set.of("dev.cmk.core", "com.azure.storage.blob"), transitive);
  }
}
