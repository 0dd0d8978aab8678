package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import dev.cmk.api.spi.ProviderDiscovery;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ServiceLoader factory's setting validation (connecting is covered by the ITs). */
class Pkcs11KeyProviderFactoryTest {

  private static KeyEncryptionKeyProviderFactory factory() {
    return ProviderDiscovery.discover(Pkcs11KeyProviderFactoryTest.class.getClassLoader()).get("pkcs11");
  }

  @Test
  void discover_serviceLoader_findsPkcs11Factory() {
    assertEquals("pkcs11", factory().id());
  }

  @Test
  void create_unknownSetting_illegalArgumentListingKnownOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> factory().create(Map.of("pin", "1234")));
    assertTrue(e.getMessage().contains("unknown pkcs11 provider setting 'pin'"), e.getMessage());
    assertTrue(!e.getMessage().contains("1234"));
  }

  @Test
  void create_missingLibraryTokenOrPin_illegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> factory().create(Map.of("token", "cmk", "pin-env", "X")));
    assertThrows(
        IllegalArgumentException.class,
        () -> factory().create(Map.of("library", "/x.so", "pin-env", "X")));
    assertThrows(
        IllegalArgumentException.class,
        () -> factory().create(Map.of("library", "/x.so", "token", "cmk")));
    assertThrows(
        IllegalArgumentException.class,
        () -> factory().create(Map.of("library", "/x.so", "token", "cmk", "pin-env", "X", "pin-file", "/p")));
  }

  @Test
  void create_badFallbackOrSessions_illegalArgument() {
    Map<String, String> base = Map.of("library", "/x.so", "token", "cmk", "pin-env", "X");
    assertThrows(IllegalArgumentException.class, () -> factory().create(with(base, "oaep-fallback", "none")));
    assertThrows(IllegalArgumentException.class, () -> factory().create(with(base, "max-sessions", "many")));
    assertThrows(IllegalArgumentException.class, () -> factory().create(with(base, "max-sessions", "4294967297")));
  }

  private static Map<String, String> with(Map<String, String> base, String k, String v) {
    java.util.Map<String, String> m = new java.util.HashMap<>(base);
    m.put(k, v);
    return m;
  }
}
