package dev.cmk.keystore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import dev.cmk.api.spi.ProviderDiscovery;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeystoreKeyProviderFactoryTest {
  @TempDir Path dir;

  private static KeyEncryptionKeyProviderFactory factory() {
    return ProviderDiscovery.discover(KeystoreKeyProviderFactoryTest.class.getClassLoader())
        .get(KeystoreKeyProvider.ID);
  }

  @Test
  void discover_serviceLoader_findsKeystoreFactory() {
    KeyEncryptionKeyProviderFactory f = factory();
    assertEquals("keystore", f.id());
  }

  @Test
  void create_pathAndPasswordFile_buildsWorkingProvider() throws IOException {
    Path pw = dir.resolve("pw");
    Files.writeString(pw, "factory-password\n");
    try (KeyEncryptionKeyProvider p =
        factory()
            .create(
                Map.of(
                    "path", dir.resolve("k.p12").toString(),
                    "password-file", pw.toString(),
                    "create", "true"))) {
      KeystoreKeyProvider k = assertInstanceOf(KeystoreKeyProvider.class, p);
      k.keyManager().orElseThrow().createKey("via-factory", 2048);
      assertEquals(1, k.keyManager().orElseThrow().listKeys().size());
    }
  }

  @Test
  void create_badSettings_throwIllegalArgument() {
    String path = dir.resolve("k.p12").toString();
    assertThrows(IllegalArgumentException.class, () -> factory().create(Map.of("path", path)));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            factory()
                .create(Map.of("path", path, "password-file", "a", "password-env", "B")));
    assertThrows(
        IllegalArgumentException.class,
        () -> factory().create(Map.of("password-env", "B")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> factory().create(Map.of("path", path, "password-env", "B", "password", "x")));
    assertTrue(e.getMessage().contains("unknown"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> factory().create(Map.of("path", path, "password-env", "B", "create", "yes")));
  }

  @Test
  void create_unsetPasswordVariable_failsNamingTheVariable() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                factory()
                    .create(
                        Map.of(
                            "path", dir.resolve("k.p12").toString(),
                            "password-env", "CMK_TEST_SURELY_UNSET_VARIABLE",
                            "create", "true")));
    assertTrue(e.getMessage().contains("CMK_TEST_SURELY_UNSET_VARIABLE"), e.getMessage());
  }
}
