package dev.cmk.api.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretSourceTest {
  private static final String SECRET = "s3cret-Pässword";

  @TempDir Path dir;

  private Path file(String content) throws IOException {
    Path f = dir.resolve("secret");
    Files.write(f, content.getBytes(StandardCharsets.UTF_8));
    return f;
  }

  @Test
  void ofFile_utf8WithTrailingNewline_stripsOneLineBreakOnly() throws IOException {
    assertArrayEquals(SECRET.toCharArray(), SecretSource.ofFile(file(SECRET + "\n")).read());
    assertArrayEquals(SECRET.toCharArray(), SecretSource.ofFile(file(SECRET + "\r\n")).read());
    assertArrayEquals(SECRET.toCharArray(), SecretSource.ofFile(file(SECRET)).read());
    assertArrayEquals(
        (SECRET + "\n").toCharArray(), SecretSource.ofFile(file(SECRET + "\n\n")).read());
    assertArrayEquals(
        (" " + SECRET + " ").toCharArray(), SecretSource.ofFile(file(" " + SECRET + " ")).read());
  }

  @Test
  void ofFile_invalidUtf8_illegalStateNamingFileNotContent() throws IOException {
    Path f = dir.resolve("latin1");
    Files.write(f, new byte[] {'a', 'b', (byte) 0xe4, 'c'});
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> SecretSource.ofFile(f).named("keystore password").read());
    assertTrue(e.getMessage().contains("keystore password file " + f), e.getMessage());
    assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
    assertEquals(null, e.getCause());
  }

  @Test
  void ofFile_missingOrEmpty_illegalStateNamingTheSource() throws IOException {
    Path missing = dir.resolve("missing");
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> SecretSource.ofFile(missing).read());
    assertTrue(e.getMessage().contains("secret file " + missing + " cannot be read"), e.getMessage());
    Path empty = file("\n");
    e =
        assertThrows(
            IllegalStateException.class,
            () -> SecretSource.ofFile(empty).named("PKCS#11 PIN").read());
    assertTrue(e.getMessage().startsWith("PKCS#11 PIN from file " + empty), e.getMessage());
  }

  @Test
  void ofEnvironment_setUnsetEmpty() {
    Map<String, String> env = Map.of("CMK_SET", SECRET, "CMK_EMPTY", "");
    assertArrayEquals(
        SECRET.toCharArray(), SecretSource.ofEnvironment("CMK_SET", env::get).read());
    for (String v : new String[] {"CMK_UNSET", "CMK_EMPTY"}) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> SecretSource.ofEnvironment(v, env::get).named("keystore password").read());
      assertEquals(
          "keystore password environment variable " + v + " is not set or empty", e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> SecretSource.ofEnvironment(""));
    assertThrows(IllegalArgumentException.class, () -> SecretSource.ofEnvironment("A=B"));
    assertThrows(IllegalArgumentException.class, () -> SecretSource.ofEnvironment("A\0"));
    assertThrows(NullPointerException.class, () -> SecretSource.ofEnvironment(null));
  }

  @Test
  void ofCallback_calledEachRead_nullRefused() {
    int[] calls = {0};
    SecretSource s =
        SecretSource.ofCallback(
            () -> {
              calls[0]++;
              return SECRET.toCharArray();
            });
    s.read();
    s.read();
    assertEquals(2, calls[0], "never cached");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> SecretSource.ofCallback(() -> null).named("PKCS#11 PIN").read());
    assertEquals("PKCS#11 PIN callback returned null", e.getMessage());
  }

  @Test
  void read_emptyOrOverLimit_refusedAndWiped() {
    char[] tooLong = "123456789".toCharArray();
    SecretSource limited = SecretSource.ofCallback(() -> tooLong).limitedTo(8);
    IllegalStateException e = assertThrows(IllegalStateException.class, limited::read);
    assertTrue(e.getMessage().contains("longer than 8"), e.getMessage());
    assertFalse(e.getMessage().contains("123456789"));
    assertArrayEquals(new char[9], tooLong, "a refused secret is wiped");
    assertEquals(8, limited.maxLength());
    assertEquals(SecretSource.DEFAULT_MAX_LENGTH, SecretSource.ofEnvironment("X").maxLength());
    assertThrows(
        IllegalStateException.class, () -> SecretSource.ofCallback(() -> new char[0]).read());
    assertThrows(
        IllegalStateException.class,
        () -> SecretSource.ofCallback(() -> new char[1025]).read());
    assertThrows(IllegalArgumentException.class, () -> limited.limitedTo(0));
    assertThrows(IllegalArgumentException.class, () -> limited.named(" "));
  }

  @Test
  void apply_wipesTheArrayAfterUseAlsoOnFailure() {
    AtomicReference<char[]> seen = new AtomicReference<>();
    SecretSource s = SecretSource.ofCallback(SECRET::toCharArray);
    String result =
        s.apply(
            chars -> {
              seen.set(chars);
              return new String(chars);
            });
    assertEquals(SECRET, result);
    assertArrayEquals(new char[SECRET.length()], seen.get());
    assertThrows(
        ArithmeticException.class,
        () ->
            s.apply(
                chars -> {
                  seen.set(chars);
                  throw new ArithmeticException();
                }));
    assertArrayEquals(new char[SECRET.length()], seen.get());
  }

  @Test
  void toString_namesSourceNeverSecret() throws IOException {
    Path f = file(SECRET);
    SecretSource s = SecretSource.ofFile(f).named("keystore password");
    assertEquals("SecretSource[keystore password from file " + f + "]", s.toString());
    assertEquals("keystore password", s.name());
    assertEquals(
        "SecretSource[secret from environment variable CMK_X]",
        SecretSource.ofEnvironment("CMK_X").toString());
    assertEquals(
        "SecretSource[secret from callback]",
        SecretSource.ofCallback(SECRET::toCharArray).toString());
    assertFalse(s.toString().contains(SECRET));
  }
}
