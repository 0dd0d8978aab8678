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
    ModuleDescriptor d = module.getDescriptor();
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
