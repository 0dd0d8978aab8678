package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Pins the module: one exported package whose only public types are the server and the main (the
 * demo clock, a parameter of the server's builder, is cmk-example-support's).
 */
class ModuleDescriptorTest {

  private static Path classes() throws Exception {
    return Path.of(
        DicomStoreServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  @Test
  void descriptor_exportsOnePackage_opensNothing() throws Exception {
    ModuleDescriptor d =
        ModuleFinder.of(classes()).find("dev.cmk.examples.dicom").orElseThrow().descriptor();

    assertEquals(Set.of("dev.cmk.examples.dicom"),
        d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    assertTrue(d.opens().isEmpty());
    assertFalse(d.isOpen());
  }

  @Test
  void exportedPackage_publicTypesAreServerAndMainOnly() throws Exception {
    Set<String> publicTypes;
    try (Stream<Path> files = Files.list(classes().resolve("dev/cmk/examples/dicom"))) {
      publicTypes = files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".class") && !n.contains("$"))
          .map(n -> "dev.cmk.examples.dicom." + n.substring(0, n.length() - ".class".length()))
          .filter(n -> {
            try {
              return Modifier.isPublic(Class.forName(n).getModifiers());
            } catch (ClassNotFoundException e) {
              throw new AssertionError(e);
            }
          })
          .collect(Collectors.toSet());
    }
    assertEquals(Set.of("dev.cmk.examples.dicom.DicomStoreServer",
        "dev.cmk.examples.dicom.DicomStoreMain"), publicTypes);
  }
}
