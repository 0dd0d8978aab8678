package dev.cmk.state.azureblob;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.json.JsonToken;
import com.azure.json.JsonWriter;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.LossCause;
import dev.cmk.core.fleet.FleetKeyState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The content of one state blob: a small JSON object that keeps the key id it belongs to.
 *
 * <pre>{"format":"cmk-fleet-state/1","keyId":"https://…/keys/k","state":"REFRESH_REQUIRED",
 *  "generation":3,"lostSince":"2026-12-07T10:15:30.123456Z","cause":"KEY_DISABLED",
 *  "recordedAt":"2026-12-07T10:45:31Z","recordedBy":"dicom-1"}</pre>
 *
 * <p>Reading is strict: every field present once with its type ({@code lostSince} absent or null
 * while available), enum names known, the key id equal to the one asked for, nothing after the
 * object. Unknown fields are skipped (a later format-1 writer may add some); another {@code format}
 * is refused.
 */
final class FleetStateJson {
  /** The format written and the only one read. */
  static final String FORMAT = "cmk-fleet-state/1";

  /** Larger content is not a state blob; reads fetch at most this many bytes. */
  static final int MAX_BYTES = 16 * 1024;

  private FleetStateJson() {}

  /** Thrown for content that is not a state of the key asked for; carries no content. */
  static final class MalformedStateException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedStateException(String message) {
      super(message, null, false, false);
    }
  }

  static byte[] encode(String keyId, FleetKeyState state) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try (JsonWriter w = JsonProviders.createWriter(out)) {
      w.writeStartObject();
      w.writeStringField("format", FORMAT);
      w.writeStringField("keyId", keyId);
      w.writeStringField("state", state.state().name());
      w.writeLongField("generation", state.generation());
      if (state.lostSince() != null) {
        w.writeStringField("lostSince", state.lostSince().toString());
      }
      w.writeStringField("cause", state.cause().name());
      w.writeStringField("recordedAt", state.recordedAt().toString());
      w.writeStringField("recordedBy", state.recordedBy());
      w.writeEndObject();
      w.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  static FleetKeyState decode(byte[] content, String expectedKeyId)
      throws MalformedStateException {
    if (content.length == 0 || content.length >= MAX_BYTES) {
      throw new MalformedStateException("not a state blob (" + content.length + " bytes)");
    }
    Map<String, Object> fields = new HashMap<>();
    try (JsonReader r = JsonProviders.createReader(content)) {
      if (r.nextToken() != JsonToken.START_OBJECT) {
        throw new MalformedStateException("not a JSON object");
      }
      while (r.nextToken() == JsonToken.FIELD_NAME) {
        String name = r.getFieldName();
        JsonToken value = r.nextToken();
        Object v = switch (value) {
          case STRING -> r.getString();
          case NUMBER -> new JsonNumber(r.getText());
          case NULL -> Optional.empty();
          default -> {
            r.skipChildren();
            yield value; // only unknown fields may hold anything else
          }
        };
        if (fields.put(name, v) != null) {
          throw new MalformedStateException("field " + name + " repeated");
        }
      }
      if (r.currentToken() != JsonToken.END_OBJECT || r.nextToken() != JsonToken.END_DOCUMENT) {
        throw new MalformedStateException("content after the object");
      }
    } catch (IOException | RuntimeException e) {
      throw new MalformedStateException("not valid JSON");
    }
    if (!FORMAT.equals(fields.get("format"))) {
      throw new MalformedStateException("format is not " + FORMAT);
    }
    if (!expectedKeyId.equals(fields.get("keyId"))) {
      throw new MalformedStateException("the blob belongs to another key id");
    }
    try {
      KeyAccessState state = KeyAccessState.valueOf(string(fields, "state"));
      if (!(fields.get("generation") instanceof JsonNumber generation)) {
        throw new IllegalArgumentException("generation");
      }
      Object lost = fields.getOrDefault("lostSince", Optional.empty());
      Instant lostSince = lost instanceof String s ? Instant.parse(s) : null;
      if (!(lost instanceof String) && !Optional.empty().equals(lost)) {
        throw new IllegalArgumentException("lostSince");
      }
      return new FleetKeyState(state, Long.parseLong(generation.text()), lostSince,
          LossCause.valueOf(string(fields, "cause")), Instant.parse(string(fields, "recordedAt")),
          string(fields, "recordedBy"));
    } catch (RuntimeException e) {
      throw new MalformedStateException("a field is missing or invalid");
    }
  }

  /** A JSON number as written (kept apart from strings, so "7" is not a generation). */
  private record JsonNumber(String text) {}

  private static String string(Map<String, Object> fields, String name) {
    if (fields.get(name) instanceof String s) {
      return s;
    }
    throw new IllegalArgumentException(name);
  }
}
