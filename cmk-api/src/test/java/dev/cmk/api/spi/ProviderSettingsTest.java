package dev.cmk.api.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProviderSettingsTest {
  private static final Set<String> KNOWN =
      Set.of("path", "create", "max", "ttl", "mode", "secret-file", "secret-env");

  private static ProviderSettings of(Map<String, String> m) {
    return ProviderSettings.of("demo", m, KNOWN);
  }

  @Test
  void of_unknownKey_illegalArgumentNamingKeyAndKnown() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> of(Map.of("path", "/x", "pasword", "y")));
    assertEquals(
        "unknown demo provider setting 'pasword'; known: "
            + "[create, max, mode, path, secret-env, secret-file, ttl]",
        e.getMessage());
    assertFalse(e.getMessage().contains("/x"), "values are never echoed");
  }

  @Test
  void of_nullKeyOrValue_nullPointer() {
    Map<String, String> m = new HashMap<>();
    m.put("path", null);
    assertThrows(NullPointerException.class, () -> of(m));
    assertThrows(NullPointerException.class, () -> ProviderSettings.of("demo", null, KNOWN));
  }

  @Test
  void required_missingOrBlank_illegalArgument() {
    ProviderSettings s = of(Map.of("create", " "));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.required("path"));
    assertEquals("demo provider setting 'path' is required", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> s.optional("create"));
    assertEquals("/a b", of(Map.of("path", " /a b ")).required("path"), "trimmed");
    assertEquals(Path.of("/a"), of(Map.of("path", "/a")).requiredPath("path"));
    assertEquals(Optional.empty(), s.optionalPath("path"));
  }

  @Test
  void has_unknownKey_isAProgrammingError() {
    ProviderSettings s = of(Map.of());
    assertThrows(IllegalArgumentException.class, () -> s.has("other"));
    assertFalse(s.has("path"));
    assertEquals(Set.of(), s.keys());
  }

  @Test
  void optionalBoolean_onlyTrueOrFalse() {
    assertEquals(Optional.of(true), of(Map.of("create", "true")).optionalBoolean("create"));
    assertEquals(Optional.of(false), of(Map.of("create", "false")).optionalBoolean("create"));
    assertEquals(Optional.empty(), of(Map.of()).optionalBoolean("create"));
    for (String bad : new String[] {"yes", "TRUE", "1"}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> of(Map.of("create", bad)).optionalBoolean("create"));
      assertEquals("demo provider setting 'create' must be true or false", e.getMessage());
    }
  }

  @Test
  void optionalLong_boundsAndFormat() {
    assertEquals(Optional.of(5L), of(Map.of("max", "5")).optionalLong("max", 1, 1024));
    assertEquals(Optional.of(1024L), of(Map.of("max", "1024")).optionalLong("max", 1, 1024));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> of(Map.of("max", "1025")).optionalLong("max", 1, 1024));
    assertEquals("demo provider setting 'max' must be 1-1024", e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> of(Map.of("max", "0")).optionalLong("max", 1, 1024));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> of(Map.of("max", "ten")).optionalLong("max", 1, 1024));
    assertEquals("demo provider setting 'max' must be a whole number", e.getMessage());
  }

  @Test
  void optionalDuration_isoAndSuffixForms() {
    Duration min = Duration.ZERO;
    Duration max = Duration.ofDays(2);
    Map<String, Duration> ok =
        Map.of(
            "PT30S", Duration.ofSeconds(30),
            "500ms", Duration.ofMillis(500),
            "30s", Duration.ofSeconds(30),
            "5m", Duration.ofMinutes(5),
            "2h", Duration.ofHours(2),
            "1d", Duration.ofDays(1),
            "0s", Duration.ZERO);
    for (Map.Entry<String, Duration> c : ok.entrySet()) {
      assertEquals(
          Optional.of(c.getValue()),
          of(Map.of("ttl", c.getKey())).optionalDuration("ttl", min, max),
          c.getKey());
    }
    for (String bad : new String[] {"30", "s", "5 m", "-5s", "P", "5w", "3d"}) {
      assertThrows(
          IllegalArgumentException.class,
          () -> of(Map.of("ttl", bad)).optionalDuration("ttl", min, max),
          bad);
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> of(Map.of("ttl", "PT-1S")).optionalDuration("ttl", min, max));
    assertEquals("demo provider setting 'ttl' must be between PT0S and PT48H", e.getMessage());
  }

  @Test
  void optionalChoice_unknownValue_listsChoices() {
    Map<String, Integer> choices = Map.of("raw-rsa", 1, "native-oaep-sha1", 2);
    assertEquals(Optional.of(2), of(Map.of("mode", "native-oaep-sha1")).optionalChoice("mode", choices));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> of(Map.of("mode", "x")).optionalChoice("mode", choices));
    assertEquals(
        "demo provider setting 'mode' must be one of [native-oaep-sha1, raw-rsa]", e.getMessage());
  }

  @Test
  void exactlyOneOf_noneOrBoth_illegalArgument() {
    assertEquals(
        "secret-env",
        of(Map.of("secret-env", "X")).exactlyOneOf("secret-file", "secret-env"));
    IllegalArgumentException none =
        assertThrows(
            IllegalArgumentException.class,
            () -> of(Map.of()).exactlyOneOf("secret-file", "secret-env"));
    assertEquals(
        "exactly one of the demo provider settings 'secret-file', 'secret-env' is required",
        none.getMessage());
    IllegalArgumentException both =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                of(Map.of("secret-env", "X", "secret-file", "/f"))
                    .exactlyOneOf("secret-file", "secret-env"));
    assertTrue(both.getMessage().endsWith("found [secret-file, secret-env]"), both.getMessage());
  }

  @Test
  void secretSource_fileOrEnvironment(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("pw");
    Files.writeString(f, "pw\n");
    SecretSource fromFile =
        of(Map.of("secret-file", f.toString())).secretSource("secret-file", "secret-env");
    assertArrayEquals("pw".toCharArray(), fromFile.read());
    SecretSource fromEnv =
        of(Map.of("secret-env", "CMK_SOME_VAR")).secretSource("secret-file", "secret-env");
    assertEquals("SecretSource[secret from environment variable CMK_SOME_VAR]", fromEnv.toString());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> of(Map.of("secret-env", "A=B")).secretSource("secret-file", "secret-env"));
    assertEquals(
        "demo provider setting 'secret-env' must be an environment variable name without '='",
        e.getMessage());
  }

  @Test
  void toString_namesKeysNotValues() {
    String s = of(Map.of("path", "/very/secret/place")).toString();
    assertEquals("ProviderSettings[demo, keys=[path]]", s);
  }
}
