package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void object_rendersValuesInOrderAndEscapesStrings() {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("s", "a\"b\\c\nd\te\u0001f\u2028");
    fields.put("n", 42L);
    fields.put("b", true);
    fields.put("z", null);
    fields.put("o", java.time.Duration.ofSeconds(3));

    assertEquals(
        "{\"s\":\"a\\\"b\\\\c\\nd\\te\\u0001f\\u2028\",\"n\":42,\"b\":true,\"z\":null,\"o\":\"PT3S\"}",
        Json.object(fields));
  }

  @Test
  void object_collection_anArrayOfEscapedStrings() {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("keys", java.util.List.of("local:a", "x\"y"));
    fields.put("none", java.util.List.of());

    assertEquals("{\"keys\":[\"local:a\",\"x\\\"y\"],\"none\":[]}", Json.object(fields));
  }

  @Test
  void object_empty() {
    assertEquals("{}", Json.object(Map.of()));
  }
}
