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
 * path see an unnamed module and fail with a message saying so.
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
}
