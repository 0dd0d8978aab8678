package dev.cmk.testkit;

import java.lang.module.ModuleDescriptor;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Pins a JPMS module's public surface in a test: the packages it exports (all unqualified) and
 * that it opens nothing for reflection, as Caffeine's module test does. One helper instead of a
 * copy of the same descriptor checks per module.
 *
 * <pre>{@code
 * @Test
 * void moduleDescriptor_exportsOnlyThePublicPackage() {
 *   ModuleDescriptor d = ModuleDescriptors.assertExportsExactly(
 *       EnvelopeCrypto.class, "dev.cmk.core", "dev.cmk.core");
 *   // further checks on d: requires, provides, ...
 * }
 * }</pre>
 *
 * <p>The class must be loaded from the module path (a named module); tests that run on the class
 * path see an unnamed module and fail with a message saying so. {@link
 * #assertEveryPackageNullMarked(Class)} is the architecture check that every package of a module
 * is non-null by default (JSpecify {@code @NullMarked}).
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class ModuleDescriptors {
  private ModuleDescriptors() {}

  /**
   * Checks that the module of {@code anyClass} is named {@code moduleName}, exports exactly {@code
   * packages} to everyone (no qualified exports), and opens nothing.
   *
   * @param anyClass a class of the module under test
   * @param moduleName the expected module name
   * @param packages the expected exported packages
   * @return the descriptor, for further checks
   * @throws AssertionError naming what differs
   * @throws NullPointerException if an argument is null
   */
  public static ModuleDescriptor assertExportsExactly(
      Class<?> anyClass, String moduleName, String... packages) {
    Objects.requireNonNull(anyClass, "anyClass");
    Objects.requireNonNull(moduleName, "moduleName");
    Objects.requireNonNull(packages, "packages");
    Module module = anyClass.getModule();
    if (!module.isNamed()) {
      throw new AssertionError(
          anyClass.getName() + " is in the unnamed module: run this test on the module path");
    }
    return assertExportsExactly(module.getDescriptor(), moduleName, packages);
  }

  /**
   * The descriptor compiled into the jar or classes directory {@code anyClass} was loaded from,
   * for tests that run on the class path (where the class's own module is unnamed).
   *
   * @param anyClass a class of the module under test
   * @return its module's descriptor
   * @throws AssertionError if that location holds no module descriptor
   */
  public static ModuleDescriptor readFromCodeSource(Class<?> anyClass) {
    try {
      java.nio.file.Path location = java.nio.file.Path.of(
          anyClass.getProtectionDomain().getCodeSource().getLocation().toURI());
      return java.lang.module.ModuleFinder.of(location).findAll().stream().findFirst()
          .orElseThrow(() -> new AssertionError("no module descriptor in " + location))
          .descriptor();
    } catch (java.net.URISyntaxException e) {
      throw new AssertionError("cannot locate the classes of " + anyClass.getName(), e);
    }
  }

  /**
   * Checks {@code d} as {@link #assertExportsExactly(Class, String, String...)} does.
   *
   * @param d the descriptor, e.g. from {@link #readFromCodeSource(Class)}
   * @param moduleName the expected module name
   * @param packages the expected exported packages
   * @return {@code d}, for further checks
   * @throws AssertionError naming what differs
   */
  public static ModuleDescriptor assertExportsExactly(
      ModuleDescriptor d, String moduleName, String... packages) {
    Objects.requireNonNull(d, "d");
    Objects.requireNonNull(moduleName, "moduleName");
    Objects.requireNonNull(packages, "packages");
    if (!d.name().equals(moduleName)) {
      throw new AssertionError("module name: expected " + moduleName + " but was " + d.name());
    }
    Set<String> expected = new TreeSet<>(Set.of(packages));
    Set<String> actual =
        d.exports().stream()
            .map(ModuleDescriptor.Exports::source)
            .collect(Collectors.toCollection(TreeSet::new));
    if (!expected.equals(actual)) {
      throw new AssertionError(
          moduleName + " exports: expected " + expected + " but was " + actual);
    }
    Set<String> qualified =
        d.exports().stream()
            .filter(ModuleDescriptor.Exports::isQualified)
            .map(e -> e.source() + " to " + e.targets())
            .collect(Collectors.toCollection(TreeSet::new));
    if (!qualified.isEmpty()) {
      throw new AssertionError(moduleName + " has qualified exports: " + qualified);
    }
    if (d.isOpen() || !d.opens().isEmpty()) {
      throw new AssertionError(moduleName + " opens packages for reflection: " + d.opens());
    }
    return d;
  }

  /**
   * Checks that every package of the code {@code anyClass} belongs to is annotated {@code
   * org.jspecify.annotations.NullMarked} in its {@code package-info.java}: the code is non-null by
   * default and says {@code @Nullable} where null is allowed. The packages are those holding
   * classes in the jar or classes directory {@code anyClass} was loaded from (so this works on the
   * module path and the class path, for modules without a descriptor too, and never counts the test
   * packages a module-path test run patches into the module).
   *
   * @param anyClass a class of the module under test
   * @return the packages checked, sorted
   * @throws AssertionError naming every package without the annotation
   * @throws NullPointerException if {@code anyClass} is null
   */
  public static Set<String> assertEveryPackageNullMarked(Class<?> anyClass) {
    Objects.requireNonNull(anyClass, "anyClass");
    Module module = anyClass.getModule();
    // The classes directory or jar, not the module: a module patched with its tests (module-path
    // test runs) also holds the test packages. JDK classes have no code source: their descriptor.
    Set<String> packages =
        anyClass.getProtectionDomain().getCodeSource() != null
            ? packagesAt(anyClass)
            : new TreeSet<>(module.getDescriptor().packages());
    Set<String> unmarked = new TreeSet<>();
    for (String p : packages) {
      if (!nullMarked(p, anyClass.getClassLoader())) {
        unmarked.add(p);
      }
    }
    if (!unmarked.isEmpty()) {
      throw new AssertionError(
          (module.isNamed() ? module.getName() : anyClass.getName())
              + ": packages without @NullMarked in a package-info.java: "
              + unmarked);
    }
    return packages;
  }

  /** The packages with classes in the jar or directory {@code anyClass} was loaded from. */
  private static Set<String> packagesAt(Class<?> anyClass) {
    try {
      java.nio.file.Path location = java.nio.file.Path.of(
          anyClass.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (java.nio.file.Files.isDirectory(location)) {
        return packagesUnder(location);
      }
      try (java.nio.file.FileSystem jar = java.nio.file.FileSystems.newFileSystem(location)) {
        return packagesUnder(jar.getPath("/"));
      }
    } catch (java.net.URISyntaxException | java.io.IOException e) {
      throw new AssertionError("cannot list the classes of " + anyClass.getName(), e);
    }
  }

  private static Set<String> packagesUnder(java.nio.file.Path root) throws java.io.IOException {
    try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(root)) {
      return files
          .filter(f -> f.toString().endsWith(".class") && !f.startsWith(root.resolve("META-INF")))
          .map(f -> root.relativize(f.getParent()).toString())
          .map(p -> p.replace(root.getFileSystem().getSeparator(), "."))
          .filter(p -> !p.isEmpty())
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  /** Whether {@code p}'s package-info carries JSpecify's {@code @NullMarked} (by name). */
  private static boolean nullMarked(String p, ClassLoader loader) {
    Class<?> info;
    try {
      info = Class.forName(p + ".package-info", false, loader);
    } catch (ClassNotFoundException e) {
      return false; // javac writes no package-info class for a package without annotations
    }
    for (java.lang.annotation.Annotation a : info.getAnnotations()) {
      if (a.annotationType().getName().equals("org.jspecify.annotations.NullMarked")) {
        return true;
      }
    }
    return false;
  }
}
