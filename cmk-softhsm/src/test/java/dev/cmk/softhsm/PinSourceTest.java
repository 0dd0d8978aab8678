package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PinSourceTest {
  private static final String PIN = "s3cr3t-Pin-9471";

  @TempDir Path dir;

  @Test
  void fromFile_trailingNewline_isStripped() throws Exception {
    Path f = Files.writeString(dir.resolve("pin"), PIN + "\n");
    assertArrayEquals(PIN.toCharArray(), PinSource.fromFile(f).read());
  }

  @Test
  void fromFile_trailingCrLf_isStripped() throws Exception {
    Path f = Files.writeString(dir.resolve("pin"), PIN + "\r\n");
    assertArrayEquals(PIN.toCharArray(), PinSource.fromFile(f).read());
  }

  @Test
  void fromFile_noNewlineOrInnerNewlines_keptAsIs() throws Exception {
    Path f = Files.writeString(dir.resolve("pin"), "a\nb");
    assertArrayEquals("a\nb".toCharArray(), PinSource.fromFile(f).read());
  }

  @Test
  void fromFile_missingFile_illegalStateNamingFile() {
    Path missing = dir.resolve("absent");
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> PinSource.fromFile(missing).read());
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void fromFile_emptyFile_illegalState() throws Exception {
    Path f = Files.writeString(dir.resolve("pin"), "\n");
    assertThrows(IllegalStateException.class, () -> PinSource.fromFile(f).read());
  }

  @Test
  void fromFile_invalidUtf8_illegalStateWithoutContent() throws Exception {
    Path f = Files.write(dir.resolve("pin"), new byte[] {'p', (byte) 0xff, 'q'});
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> PinSource.fromFile(f).read());
    assertFalse(e.getMessage().contains("p\uFFFDq"));
  }

  @Test
  void fromFile_utf8Pin_decoded() throws Exception {
    Path f = Files.write(dir.resolve("pin"), "pïn".getBytes(StandardCharsets.UTF_8));
    assertArrayEquals("pïn".toCharArray(), PinSource.fromFile(f).read());
  }

  @Test
  void fromEnvironment_setVariable_returnsValue() {
    PinSource s = PinSource.fromEnvironment("CMK_PIN", Map.of("CMK_PIN", PIN)::get);
    assertArrayEquals(PIN.toCharArray(), s.read());
  }

  @Test
  void fromEnvironment_unsetVariable_illegalStateNamingVariable() {
    PinSource s = PinSource.fromEnvironment("CMK_PIN", Map.<String, String>of()::get);
    IllegalStateException e = assertThrows(IllegalStateException.class, s::read);
    assertTrue(e.getMessage().contains("CMK_PIN"), e.getMessage());
  }

  @Test
  void fromEnvironment_invalidName_illegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> PinSource.fromEnvironment(""));
    assertThrows(IllegalArgumentException.class, () -> PinSource.fromEnvironment("A=B"));
  }

  @Test
  void fromCallback_returnsFreshArrayEachTime() {
    PinSource s = PinSource.fromCallback(PIN::toCharArray);
    char[] first = s.read();
    java.util.Arrays.fill(first, '\0');
    assertArrayEquals(PIN.toCharArray(), s.read(), "wiping one result does not affect the next");
  }

  @Test
  void fromCallback_nullOrEmptyOrTooLong_illegalState() {
    assertThrows(IllegalStateException.class, () -> PinSource.fromCallback(() -> null).read());
    assertThrows(IllegalStateException.class, () -> PinSource.fromCallback(() -> new char[0]).read());
    assertThrows(
        IllegalStateException.class,
        () -> PinSource.fromCallback(() -> new char[PinSource.MAX_PIN_LENGTH + 1]).read());
  }

  @Test
  void toString_anySource_namesSourceButNotPin() throws Exception {
    Path f = Files.writeString(dir.resolve("pin"), PIN);
    assertEquals("PinSource[file " + f + "]", PinSource.fromFile(f).toString());
    assertEquals(
        "PinSource[environment variable CMK_PIN]",
        PinSource.fromEnvironment("CMK_PIN", Map.of("CMK_PIN", PIN)::get).toString());
    assertEquals("PinSource[callback]", PinSource.fromCallback(PIN::toCharArray).toString());
  }

  @Test
  void factories_nullArguments_nullPointerNamingParameter() {
    assertEquals("file", assertThrows(NullPointerException.class, () -> PinSource.fromFile(null)).getMessage());
    assertEquals(
        "variable",
        assertThrows(NullPointerException.class, () -> PinSource.fromEnvironment(null)).getMessage());
    assertEquals(
        "callback",
        assertThrows(NullPointerException.class, () -> PinSource.fromCallback(null)).getMessage());
  }
}
