package dev.cmk.api.spi;

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
 * Where a provider's secret comes from (a keystore password, a PKCS#11 PIN): a file, an
 * environment variable or a callback. The secret is read each time the provider needs it and is
 * never cached here.
 *
 * <pre>{@code
 * SecretSource pin = SecretSource.ofFile(Path.of("/run/secrets/pin")).named("PKCS#11 PIN");
 * String result = pin.apply(chars -> login(chars)); // the array is wiped afterwards
 * }</pre>
 *
 * <p>Rules: a file is decoded as strict UTF-8 (malformed input is refused) and loses one trailing
 * line break ({@code \n} or {@code \r\n}); an environment variable must be set and not empty; a
 * callback must return a fresh, non-null array on every call. Every source refuses an empty secret
 * or one longer than {@link #maxLength()} characters (default {@value #DEFAULT_MAX_LENGTH}).
 *
 * <p><b>Security guarantees:</b> {@link #toString()} and every exception message name the secret
 * ({@link #named(String)}) and the source (file path, variable name or "callback"), never the secret
 * or the file's content. The bytes read from a file and the decoder's buffer are wiped; the array
 * a callback returns is handed on and wiped by whoever reads it (with {@link #apply(Function)}:
 * here, after use). Secrets never come from key references or provider settings themselves.
 *
 * <p><b>Thread safety:</b> immutable; {@link #read()} may run concurrently if the callback allows.
 */
public final class SecretSource {

  /** Longest secret accepted unless {@link #limitedTo(int)} says otherwise, in characters. */
  public static final int DEFAULT_MAX_LENGTH = 1024;

  private final String name;
  private final String origin;
  private final int maxLength;
  private final Function<SecretSource, char[]> reader;

  private SecretSource(
      String name, String origin, int maxLength, Function<SecretSource, char[]> reader) {
    this.name = name;
    this.origin = origin;
    this.maxLength = maxLength;
    this.reader = reader;
  }

  /**
   * The secret is the UTF-8 content of a file without one trailing line break, read at each use.
   * Keep the file readable by the service account only (for example a mounted secret with mode
   * 0400).
   *
   * @param file the file
   * @return the source, named "secret"
   * @throws NullPointerException if {@code file} is null
   */
  public static SecretSource ofFile(Path file) {
    Objects.requireNonNull(file, "file");
    return new SecretSource(
        "secret", "file " + file, DEFAULT_MAX_LENGTH, s -> s.readFile(file));
  }

  /**
   * The secret is the value of an environment variable of this process, read at each use.
   *
   * @param variable the variable's name, e.g. {@code CMK_KEYSTORE_PASSWORD}
   * @return the source, named "secret"
   * @throws NullPointerException if {@code variable} is null
   * @throws IllegalArgumentException if {@code variable} is empty or contains {@code =} or NUL
   */
  public static SecretSource ofEnvironment(String variable) {
    return ofEnvironment(variable, System::getenv);
  }

  /**
   * As {@link #ofEnvironment(String)}, looking variables up with {@code environment} (for tests,
   * or a launcher that passes its own environment).
   *
   * @param variable the variable's name
   * @param environment looks a variable up; returns null when it is not set
   * @return the source, named "secret"
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code variable} is empty or contains {@code =} or NUL
   */
  public static SecretSource ofEnvironment(
      String variable, Function<String, String> environment) {
    Objects.requireNonNull(variable, "variable");
    Objects.requireNonNull(environment, "environment");
    if (variable.isEmpty() || variable.indexOf('=') >= 0 || variable.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "variable must be a non-empty environment variable name without '='");
    }
    return new SecretSource(
        "secret",
        "environment variable " + variable,
        DEFAULT_MAX_LENGTH,
        s -> {
          String value = environment.apply(variable);
          if (value == null || value.isEmpty()) {
            throw new IllegalStateException(
                s.name + " environment variable " + variable + " is not set or empty");
          }
          return value.toCharArray();
        });
  }

  /**
   * The secret comes from a callback (a secrets manager, a prompt), called at each use. It must
   * return a fresh array every time: the array is handed to the reader, who wipes it.
   *
   * @param callback returns the secret
   * @return the source, named "secret"
   * @throws NullPointerException if {@code callback} is null
   */
  public static SecretSource ofCallback(Supplier<char[]> callback) {
    Objects.requireNonNull(callback, "callback");
    return new SecretSource(
        "secret",
        "callback",
        DEFAULT_MAX_LENGTH,
        s -> {
          char[] secret = callback.get();
          if (secret == null) {
            throw new IllegalStateException(s.name + " callback returned null");
          }
          return secret;
        });
  }

  /**
   * The same source, naming the secret {@code name} in messages (e.g. "keystore password", "PKCS#11
   * PIN").
   *
   * @param name what the secret is; not secret itself
   * @return a new source
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code name} is blank
   */
  public SecretSource named(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("name must not be blank");
    }
    return new SecretSource(name, origin, maxLength, reader);
  }

  /**
   * The same source, accepting secrets of at most {@code maxLength} characters.
   *
   * @param maxLength 1&ndash;65536
   * @return a new source
   * @throws IllegalArgumentException if {@code maxLength} is out of range
   */
  public SecretSource limitedTo(int maxLength) {
    if (maxLength < 1 || maxLength > 65536) {
      throw new IllegalArgumentException("maxLength must be 1-65536, found " + maxLength);
    }
    return new SecretSource(name, origin, maxLength, reader);
  }

  /**
   * What the secret is, as given to {@link #named(String)}.
   *
   * @return the name, default "secret"
   */
  public String name() {
    return name;
  }

  /**
   * The longest secret accepted, in characters.
   *
   * @return the limit
   */
  public int maxLength() {
    return maxLength;
  }

  /**
   * Reads the secret.
   *
   * @return a fresh array holding the secret; the caller must wipe it ({@code Arrays.fill(secret,
   *     '\0')}) — or use {@link #apply(Function)}
   * @throws IllegalStateException if the source cannot be read or yields an empty or over-long
   *     secret (the message names the secret and the source only)
   */
  public char[] read() {
    char[] secret = reader.apply(this);
    if (secret.length == 0 || secret.length > maxLength) {
      Arrays.fill(secret, '\0');
      throw new IllegalStateException(
          name + " from " + origin + " is empty or longer than " + maxLength + " characters");
    }
    return secret;
  }

  /**
   * Reads the secret, gives it to {@code action} and wipes it, also when {@code action} throws.
   *
   * @param <T> the result type
   * @param action uses the secret; must not keep the array
   * @return what {@code action} returned
   * @throws NullPointerException if {@code action} is null
   * @throws IllegalStateException as {@link #read()}
   */
  public <T> T apply(Function<char[], T> action) {
    Objects.requireNonNull(action, "action");
    char[] secret = read();
    try {
      return action.apply(secret);
    } finally {
      Arrays.fill(secret, '\0');
    }
  }

  private char[] readFile(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      // The IOException names the file and the OS error, never the content.
      throw new IllegalStateException(name + " file " + file + " cannot be read", e);
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
      char[] secret = new char[end];
      chars.get(secret, 0, end);
      return secret;
    } catch (CharacterCodingException e) {
      // No cause: the decoder's message could quote the offending bytes' position.
      throw new IllegalStateException(name + " file " + file + " is not valid UTF-8");
    } finally {
      Arrays.fill(bytes, (byte) 0);
      if (chars != null && chars.hasArray()) {
        Arrays.fill(chars.array(), '\0');
      }
    }
  }

  /** Names the secret and its source (file path, variable name or "callback"), never the secret. */
  @Override
  public String toString() {
    return "SecretSource[" + name + " from " + origin + "]";
  }
}
