package dev.cmk.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Architecture: every main package of cmk-api is non-null by default (JSpecify). cmk-testkit's
 * {@code ModuleDescriptors.assertEveryPackageNullMarked} does this for the other modules; cmk-api
 * cannot use the testkit (which depends on it), so it lists its classes directory here.
 */
class NullMarkedTest {
  @Test
  void everyMainPackage_isNullMarked()
      throws ClassNotFoundException, IOException, URISyntaxException {
    Path classes =
        Path.of(KeyReference.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Set<String> packages;
    try (Stream<Path> files = Files.walk(classes)) {
      packages =
          files
              .filter(f -> f.toString().endsWith(".class"))
              .map(f -> classes.relativize(f.getParent()).toString())
              .map(p -> p.replace(classes.getFileSystem().getSeparator(), "."))
              .filter(p -> !p.isEmpty())
              .collect(Collectors.toCollection(TreeSet::new));
    }
    assertEquals(Set.of("dev.cmk.api", "dev.cmk.api.spi"), packages);
    for (String p : packages) {
      Annotation[] annotations =
          Class.forName(p + ".package-info", false, KeyReference.class.getClassLoader())
              .getAnnotations();
      assertTrue(
          Arrays.stream(annotations)
              .anyMatch(
                  a -> a.annotationType().getName().equals("org.jspecify.annotations.NullMarked")),
          p + " lacks @NullMarked");
    }
  }
}
