package dev.cmk.state.azureblob;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cmk.testkit.ModuleDescriptors;
import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Pins the module descriptor (the tests run on the class path, so it is read as a file). */
class ModuleDescriptorTest {
  @Test
  void descriptor_exportsOnlyTheApiPackage_andOpensNothing() {
    ModuleDescriptor d = ModuleDescriptors.assertExportsExactly(
        ModuleDescriptors.readFromCodeSource(BlobFleetStateStore.class), "dev.cmk.state.azureblob", "dev.cmk.state.azureblob");
    Set<String> transitive = d.requires().stream()
        .filter(r -> r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE))
        .map(ModuleDescriptor.Requires::name).collect(Collectors.toSet());
    assertEquals(Set.of("dev.cmk.core", "com.azure.storage.blob"), transitive);
  }
}
