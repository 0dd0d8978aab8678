package dev.cmk.softhsm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Where the PKCS#11 user PIN comes from: a file, an environment variable or a callback. The PIN is
 * read when the provider logs in (at {@link Pkcs11KeyProvider.Builder#build()} and again only when
 * a lost session forces a new login), never cached by this class.
 *
 * <p><b>Security guarantees:</b> {@link #toString()} names the source (file path, variable name or
 * "callback"), never the PIN; no exception thrown here contains the PIN or the file's content. The
 * caller of {@link #read()} gets a fresh array and must wipe it; the provider does. PINs never come
 * from key references or command-line arguments.
 *
 * <p><b>Thread safety:</b> immutable; {@link #read()} may be called concurrently if the callback
 * allows it.
 */
public final class PinSource {

  /** Longest PIN accepted, in characters (PKCS#11 tokens allow far fewer). */
  public static final int MAX_PIN_LENGTH = 256;

  private final String description;
  private final Supplier<char[]> reader;

  private PinSource(String description, Supplier<char[]> reader) {
    this.description = description;
    this.reader = reader;
  }

  /**
   * The PIN is the content of a UTF-8 file, without one trailing line break ({@code \n} or {@code
   * \r\n}). The file is read at each login. Keep it readable by the service account only (for
   * example a mounted secret with mode 0400).
   *
   * @param file the file
   * @return the source
   * @throws NullPointerException if {@code file} is null
   */
  public static PinSource fromFile(Path file) {
    Objects.requireNonNull(file, "file");
    return new PinSource("file " + file, () -> readFile(file));
  }

  /**
   * The PIN is the value of an environment variable, read at each login.
   *
   * @param variable the variable's name, e.g. {@code CMK_PKCS11_PIN}
   * @return the source
   * @throws NullPointerException if {@code variable} is null
   * @throws IllegalArgumentException if {@code variable} is empty or contains {@code =}
   */
  public static PinSource fromEnvironment(String variable) {
    return fromEnvironment(variable, System::getenv);
  }

  /** As {@link #fromEnvironment(String)}, reading from {@code environment} (for tests). */
  static PinSource fromEnvironment(String variable, Function<String, String> environment) {
    Objects.requireNonNull(variable, "variable");
    Objects.requireNonNull(environment, "environment");
    if (variable.isEmpty() || variable.indexOf('=') >= 0 || variable.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "variable must be a non-empty environment variable name without '='");
    }
    return new PinSource(
        "environment variable " + variable,
        () -> {
          String value = environment.apply(variable);
          if (value == null || value.isEmpty()) {
            throw new IllegalStateException(
                "PKCS#11 PIN environment variable " + variable + " is not set or empty");
          }
          return value.toCharArray();
        });
  }

  /**
   * The PIN comes from {@code callback} (a secrets manager, a password prompt). The callback is
   * called at each login and must return a fresh array, which is wiped after use.
   *
   * @param callback returns the PIN
   * @return the source
   * @throws NullPointerException if {@code callback} is null
   */
  public static PinSource fromCallback(Supplier<char[]> callback) {
    Objects.requireNonNull(callback, "callback");
    return new PinSource(
        "callback",
        () -> {
          char[] pin = callback.get();
          if (pin == null) {
            throw new IllegalStateException("PKCS#11 PIN callback returned null");
          }
          return pin;
        });
  }

  /**
   * Reads the PIN.
   *
   * @return a fresh array holding the PIN; the caller must wipe it ({@code Arrays.fill(pin, '\0')})
   * @throws IllegalStateException if the source cannot be read or yields an empty or over-long PIN
   *     (the message names the source, never the PIN)
   */
  public char[] read() {
    char[] pin = reader.get();
    if (pin.length == 0 || pin.length > MAX_PIN_LENGTH) {
      Arrays.fill(pin, '\0');
      throw new IllegalStateException(
          "PKCS#11 PIN from " + description + " is empty or longer than " + MAX_PIN_LENGTH);
    }
    return pin;
  }

  private static char[] readFile(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      // The IOException names the file and the OS error, never the content.
      throw new IllegalStateException("PKCS#11 PIN file " + file + " cannot be read", e);
    }
    CharBuffer chars = null;
    try {
      CharsetDecoder decoder =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT);
      chars = decoder.decode(ByteBuffer.wrap(bytes));
      int end = chars.limit();
      if (end > 0 && chars.get(end - 1) == '\n') {
        end--;
        if (end > 0 && chars.get(end - 1) == '\r') {
          end--;
        }
      }
      char[] pin = new char[end];
      chars.get(pin, 0, end);
      return pin;
    } catch (CharacterCodingException e) {
      throw new IllegalStateException("PKCS#11 PIN file " + file + " is not valid UTF-8");
    } finally {
      Arrays.fill(bytes, (byte) 0);
      if (chars != null && chars.hasArray()) {
        Arrays.fill(chars.array(), '\0');
      }
    }
  }

  /** Names the source (file path, environment variable name or "callback"), never the PIN. */
  @Override
  public String toString() {
    return "PinSource[" + description + "]";
  }
}
