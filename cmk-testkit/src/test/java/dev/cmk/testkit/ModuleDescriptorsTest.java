package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import org.junit.jupiter.api.Test;

/** The checks of ModuleDescriptors, on JDK modules (these tests run on the class path). */
class ModuleDescriptorsTest {
  // Looked up by name: the test sources are compiled inside dev.cmk.testkit, which reads neither.
  private static final Class<?> SQL = load("java.sql.Driver");
  private static final Class<?> NAMING = load("javax.naming.Context");

  private static Class<?> load(String name) {
    try {
      return Class.forName(name);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void assertExportsExactly_matchingModule_returnsDescriptor() {
    ModuleDescriptor d =
        ModuleDescriptors.assertExportsExactly(SQL, "java.sql", "java.sql", "javax.sql");
    assertEquals("java.sql", d.name());
  }

  @Test
  void assertExportsExactly_missingOrExtraPackage_failsNamingBoth() {
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> ModuleDescriptors.assertExportsExactly(SQL, "java.sql", "java.sql"));
    assertTrue(e.getMessage().contains("[java.sql]") && e.getMessage().contains("javax.sql"), e.getMessage());
  }

  @Test
  void assertExportsExactly_wrongName_fails() {
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> ModuleDescriptors.assertExportsExactly(SQL, "java.sqlx", "java.sql", "javax.sql"));
    assertTrue(e.getMessage().contains("java.sqlx"), e.getMessage());
  }

  @Test
  void assertExportsExactly_qualifiedExports_fail() {
    // java.naming exports com.sun.jndi.toolkit.* to jdk.naming.dns / jdk.naming.rmi only.
    ModuleDescriptor naming = NAMING.getModule().getDescriptor();
    String[] all =
        naming.exports().stream().map(ModuleDescriptor.Exports::source).toArray(String[]::new);
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> ModuleDescriptors.assertExportsExactly(NAMING, "java.naming", all));
    assertTrue(e.getMessage().contains("qualified"), e.getMessage());
  }

  @Test
  void assertExportsExactly_unnamedModule_failsSayingSo() {
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> ModuleDescriptors.assertExportsExactly(ModuleDescriptorsTest.class, "dev.cmk.testkit", "dev.cmk.testkit"));
    assertTrue(e.getMessage().contains("unnamed module"), e.getMessage());
  }

  @Test
  void assertEveryPackageNullMarked_testkit_returnsItsPackages() {
    assertEquals(
        java.util.Set.of("dev.cmk.testkit"),
        ModuleDescriptors.assertEveryPackageNullMarked(ModuleDescriptors.class));
  }

  @Test
  void assertEveryPackageNullMarked_packagesWithoutAnnotation_failNamingThem() {
    AssertionError e =
        assertThrows(
            AssertionError.class, () -> ModuleDescriptors.assertEveryPackageNullMarked(SQL));
    assertTrue(
        e.getMessage().startsWith("java.sql:")
            && e.getMessage().contains("java.sql")
            && e.getMessage().contains("javax.sql"),
        e.getMessage());
  }
}
