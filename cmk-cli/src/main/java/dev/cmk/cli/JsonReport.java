package dev.cmk.cli;

import com.azure.json.JsonProviders;
import com.azure.json.JsonWriter;
import dev.cmk.api.KeyReference;
import dev.cmk.core.RewrapReport;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One JSON object on stdout for {@code --format json}: starts with {@code schemaVersion} and
 * {@code command}, ends with a newline. Written with azure-json (the Azure SDK's own streaming
 * JSON, already in the tool), field by field in the documented order.
 *
 * <p>Schema rules (cmk-cli/README.md): every documented field is always present; {@code null}
 * where a value is unknown or does not apply; times are ISO-8601 UTC strings; sizes are bytes.
 * New fields may be added within a schema version; renaming, removing or changing the type of a
 * field increments {@link #SCHEMA_VERSION}.
 */
final class JsonReport implements AutoCloseable {
  /** The version of the JSON schema of every command's report. */
  static final int SCHEMA_VERSION = 1;

  private final PrintStream out;
  private final JsonWriter w;

  private JsonReport(PrintStream out, String command) throws IOException {
    this.out = out;
    // The writer must not close stdout.
    this.w = JsonProviders.createWriter(Io.keepOpen(out));
    w.writeStartObject();
    w.writeIntField("schemaVersion", SCHEMA_VERSION);
    w.writeStringField("command", command);
  }

  /** Starts the report of {@code command} (e.g. {@code inspect}, {@code keys list}). */
  static JsonReport start(PrintStream out, String command) {
    try {
      return new JsonReport(out, command);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The writer, positioned inside the top-level object. */
  JsonWriter writer() {
    return w;
  }

  /** A string field, {@code null} when {@code value} is. */
  JsonReport string(String name, Object value) throws IOException {
    if (value == null) {
      w.writeNullField(name);
    } else {
      w.writeStringField(name, value.toString());
    }
    return this;
  }

  /** A number field, {@code null} when {@code value} is. */
  JsonReport number(String name, Long value) throws IOException {
    if (value == null) {
      w.writeNullField(name);
    } else {
      w.writeLongField(name, value);
    }
    return this;
  }

  /** A boolean field. */
  JsonReport bool(String name, boolean value) throws IOException {
    w.writeBooleanField(name, value);
    return this;
  }

  /**
   * A rewrap's {@code elapsedSeconds} and {@code movedFrom} (one {@code key}, {@code count}
   * object per key the envelopes or records were moved off), as {@code rewrap} and {@code records
   * rewrap} report them.
   */
  JsonReport rewrapped(RewrapReport r) throws IOException {
    elapsed(r);
    w.writeStartArray("movedFrom");
    for (Map.Entry<KeyReference, Long> e : r.movedFrom().entrySet()) {
      w.writeStartObject();
      w.writeStringField("key", e.getKey().toString());
      w.writeLongField("count", e.getValue());
      w.writeEndObject();
    }
    w.writeEndArray();
    return this;
  }

  /** A rewrap's or removal's {@code elapsedSeconds}. */
  JsonReport elapsed(RewrapReport r) throws IOException {
    w.writeDoubleField("elapsedSeconds", r.elapsed().toMillis() / 1000.0);
    return this;
  }

  /** An ISO-8601 UTC time field, {@code null} when {@code value} is. */
  static @Nullable String time(Instant value) {
    return value == null ? null : value.toString();
  }

  /** Whole seconds of {@code d}. */
  static long seconds(Duration d) {
    return d.getSeconds();
  }

  /** Ends the object and the line. */
  @Override
  public void close() throws IOException {
    w.writeEndObject();
    w.flush();
    out.println();
    out.flush();
  }
}
