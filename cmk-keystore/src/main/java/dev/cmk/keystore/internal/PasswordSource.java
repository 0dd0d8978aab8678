package dev.cmk.keystore.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Where the keystore password comes from: a callback, a file or an environment variable. Read each
 * time the keystore is opened or written, never cached here.
 *
 * <p><b>Security guarantees:</b> {@link #toString()} and every exception message name the source
 * (file path, variable name, "callback"), never the password or the file's content. {@link
 * #read()} returns a fresh array that the caller wipes.
 *
 * <p><b>Thread safety:</b> immutable; {@link #read()} may run concurrently if the callback allows.
 */
public final class PasswordSource {
  /** Longest password accepted, in characters. */
  public static final int MAX_LENGTH = 1024;

  private final String description;
  private final Supplier<char[]> reader;

  private PasswordSource(String description, Supplier<char[]> reader) {
    this.description = description;
    this.reader = reader;
  }

  /**
   * A callback returning a fresh array on every call (it is wiped after use).
   *
   * @param callback the callback
   * @return the source
   */
  public static PasswordSource ofCallback(Supplier<char[]> callback) {
    Objects.requireNonNull(callback, "callback");
    return new PasswordSource(
        "callback",
        () -> {
          char[] p = callback.get();
          if (p == null) {
            throw new IllegalStateException("keystore password callback returned null");
          }
          return p.clone();
        });
  }

  /**
   * The UTF-8 content of a file, without one trailing line break.
   *
   * @param file the file
   * @return the source
   */
  public static PasswordSource ofFile(Path file) {
    Objects.requireNonNull(file, "file");
    return new PasswordSource("file " + file, () -> readFile(file));
  }

  /**
   * The value of an environment variable.
   *
   * @param variable the variable name
   * @param environment looks variables up ({@code System::getenv})
   * @return the source
   */
  public static PasswordSource ofEnvironment(String variable, Function<String, String> environment) {
    Objects.requireNonNull(variable, "variable");
    Objects.requireNonNull(environment, "environment");
    if (variable.isEmpty() || variable.indexOf('=') >= 0 || variable.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "variable must be a non-empty environment variable name without '='");
    }
    return new PasswordSource(
        "environment variable " + variable,
        () -> {
          String v = environment.apply(variable);
          if (v == null || v.isEmpty()) {
            throw new IllegalStateException(
                "keystore password environment variable " + variable + " is not set or empty");
          }
          return v.toCharArray();
        });
  }

  /**
   * Reads the password.
   *
   * @return a fresh array; the caller must wipe it
   * @throws IllegalStateException if the source cannot be read or yields an empty or over-long
   *     password (the message names the source only)
   */
  public char[] read() {
    char[] p = reader.get();
    if (p.length == 0 || p.length > MAX_LENGTH) {
      Arrays.fill(p, '\0');
      throw new IllegalStateException(
          "keystore password from " + description + " is empty or longer than " + MAX_LENGTH);
    }
    return p;
  }

  private static char[] readFile(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalStateException("keystore password file " + file + " cannot be read", e);
    }
    CharBuffer chars = null;
    try {
      chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes));
      int end = chars.limit();
      if (end > 0 && chars.get(end - 1) == '\n') {
        end--;
        if (end > 0 && chars.get(end - 1) == '\r') {
          end--;
        }
      }
      char[] p = new char[end];
      chars.get(p, 0, end);
      return p;
    } catch (CharacterCodingException e) {
      throw new IllegalStateException("keystore password file " + file + " is not valid UTF-8");
    } finally {
      Arrays.fill(bytes, (byte) 0);
      if (chars != null && chars.hasArray()) {
        Arrays.fill(chars.array(), '\0');
      }
    }
  }

  /** Names the source, never the password. */
  @Override
  public String toString() {
    return "PasswordSource[" + description + "]";
  }
}
