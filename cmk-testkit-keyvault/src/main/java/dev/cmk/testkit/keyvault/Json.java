package dev.cmk.testkit.keyvault;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.json.JsonToken;
import com.azure.json.JsonWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** JSON reading and writing for the loopback servers, on {@code com.azure:azure-json}. */
final class Json {
  private Json() {}

  /**
   * Parses a request body that must be a JSON object.
   *
   * @throws KeyVaultError 400 BadParameter when the body is not a JSON object
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> parseObject(byte[] body) {
    if (body.length == 0) {
      throw KeyVaultError.badParameter("The request body is missing.");
    }
    try (JsonReader reader = JsonProviders.createReader(body)) {
      JsonToken first = reader.nextToken();
      if (first != JsonToken.START_OBJECT) {
        throw KeyVaultError.badParameter("The request body must be a JSON object.");
      }
      Object value = reader.readUntyped();
      return (Map<String, Object>) value;
    } catch (IOException | RuntimeException e) {
      if (e instanceof KeyVaultError) {
        throw (KeyVaultError) e;
      }
      throw KeyVaultError.badParameter("The request body is not valid JSON.");
    }
  }

  static byte[] write(Object untyped) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonWriter writer = JsonProviders.createWriter(out)) {
      writer.writeUntyped(untyped).flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static @Nullable String string(Map<String, Object> object, String field) {
    Object v = object.get(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String)) {
      throw KeyVaultError.badParameter("'" + field + "' must be a string.");
    }
    return (String) v;
  }

  static @Nullable Long number(Map<String, Object> object, String field) {
    Object v = object.get(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number)) {
      throw KeyVaultError.badParameter("'" + field + "' must be a number.");
    }
    return ((Number) v).longValue();
  }

  static @Nullable Boolean bool(Map<String, Object> object, String field) {
    Object v = object.get(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Boolean)) {
      throw KeyVaultError.badParameter("'" + field + "' must be a boolean.");
    }
    return (Boolean) v;
  }

  @SuppressWarnings("unchecked")
  static @Nullable Map<String, Object> object(Map<String, Object> object, String field) {
    Object v = object.get(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Map)) {
      throw KeyVaultError.badParameter("'" + field + "' must be an object.");
    }
    return (Map<String, Object>) v;
  }

  static @Nullable List<String> strings(Map<String, Object> object, String field) {
    Object v = object.get(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof List)) {
      throw KeyVaultError.badParameter("'" + field + "' must be an array.");
    }
    List<String> out = new ArrayList<>();
    for (Object o : (List<?>) v) {
      if (!(o instanceof String)) {
        throw KeyVaultError.badParameter("'" + field + "' must be an array of strings.");
      }
      out.add((String) o);
    }
    return out;
  }

  static String base64Url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static byte[] fromBase64Url(String value, String field) {
    try {
      return Base64.getUrlDecoder().decode(value);
    } catch (IllegalArgumentException e) {
      throw KeyVaultError.badParameter("'" + field + "' is not valid base64url.");
    }
  }
}
