package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Parses the tool's {@code --format json} output and checks it against the documented schema. */
final class Json {
  private Json() {}

  /** The one JSON object on stdout (and nothing else but its trailing newline). */
  @SuppressWarnings("unchecked")
  static Map<String, Object> parse(CliFixture.Result r) {
    String out = r.out();
    assertTrue(out.endsWith("}\n") && out.indexOf('\n') == out.length() - 1,
        "one JSON object on one line: " + r);
    try (JsonReader reader = JsonProviders.createReader(out)) {
      Object value = reader.readUntyped();
      assertInstanceOf(Map.class, value, out);
      return (Map<String, Object>) value;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Asserts {@code object} has exactly the documented {@code fields} (no more, no fewer). */
  static void assertFields(Map<String, Object> object, String... fields) {
    assertEquals(Set.of(fields), object.keySet(), "fields of " + object);
  }

  /** A nested object. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> object(Object value) {
    assertInstanceOf(Map.class, value);
    return (Map<String, Object>) value;
  }

  /** A nested array. */
  @SuppressWarnings("unchecked")
  static List<Object> array(Object value) {
    assertInstanceOf(List.class, value);
    return (List<Object>) value;
  }

  /** A JSON integer (azure-json reads integers as Integer or Long). */
  static long integer(Object value) {
    assertTrue(value instanceof Integer || value instanceof Long, "integer expected: " + value
        + (value == null ? "" : " (" + value.getClass().getSimpleName() + ")"));
    return ((Number) value).longValue();
  }

  /** A JSON string. */
  static String string(Object value) {
    assertInstanceOf(String.class, value);
    return (String) value;
  }

  /** A JSON boolean. */
  static boolean bool(Object value) {
    assertInstanceOf(Boolean.class, value);
    return (Boolean) value;
  }
}
