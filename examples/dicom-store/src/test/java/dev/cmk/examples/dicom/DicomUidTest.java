package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DicomUidTest {

  @ParameterizedTest
  @ValueSource(strings = {
    "0", "1", "1.2", "1.2.840.10008.1.2.1", "2.25.329800735698586629295641978511506172918",
    "1.2.826.0.1.3680043.8.498.10", "1.0.0"
  })
  void isValid_standardUids_true(String uid) {
    assertTrue(DicomUid.isValid(uid), uid);
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "", ".", "..", "1.", ".1", "1..2", "01", "1.02", "1.2.3a", "1/2", "1\\2", "../etc", "1 2",
    "1.2%2F3", "\u0661.2", "1.2\n", "１.2"
  })
  void isValid_malformed_false(String uid) {
    assertFalse(DicomUid.isValid(uid), uid);
  }

  @org.junit.jupiter.api.Test
  void isValid_lengthLimit_64() {
    String sixtyFour = "1." + "2".repeat(62);
    assertEquals(64, sixtyFour.length());
    assertTrue(DicomUid.isValid(sixtyFour));
    assertFalse(DicomUid.isValid(sixtyFour + "3"));
    assertFalse(DicomUid.isValid(null));
  }

  @org.junit.jupiter.api.Test
  void check_invalid_throwsWithoutEchoingTheInput() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DicomUid.check("../../etc", "Study UID"));
    assertTrue(e.getMessage().startsWith("Study UID is not a valid DICOM UID"));
    assertFalse(e.getMessage().contains("etc"));
    assertThrows(NullPointerException.class, () -> DicomUid.check(null, "Study UID"));
  }

  /** Whatever the validator accepts is a plain file name inside the directory it is resolved in. */
  @Property(tries = 2000)
  void isValid_accepted_neverEscapesTheDirectory(@ForAll("uidLike") String candidate) {
    if (!DicomUid.isValid(candidate)) {
      return;
    }
    Path root = Path.of("/data/store");
    Path resolved = root.resolve(candidate);
    assertEquals(resolved, resolved.normalize(), candidate);
    assertEquals(root, resolved.getParent(), candidate);
    assertTrue(candidate.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9')), candidate);
  }

  @Provide
  Arbitrary<String> uidLike() {
    return Arbitraries.strings().withChars("0123456789../\\a%").ofMinLength(0).ofMaxLength(70);
  }
}
