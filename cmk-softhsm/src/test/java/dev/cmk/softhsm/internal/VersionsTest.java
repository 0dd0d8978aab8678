package dev.cmk.softhsm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.HashSet;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VersionsTest {

  private static final Random FIXED = new Random(7);

  @Test
  void format_newVersions_numberAndSixteenRandomHexDigits() {
    assertTrue(Versions.first(FIXED).matches("v0001-[0-9a-f]{16}"));
    assertTrue(Versions.format(42, FIXED).matches("v0042-[0-9a-f]{16}"));
    assertTrue(Versions.format(12345, FIXED).matches("v12345-[0-9a-f]{16}"));
    assertThrows(IllegalArgumentException.class, () -> Versions.format(0, FIXED));
    Versions.toId(Versions.format(999_999_999_999_999_999L, FIXED)); // fits a CKA_ID / reference
  }

  @Test
  void format_sameNumberTwice_differentIds() {
    Set<String> ids = new HashSet<>();
    SecureRandom random = new SecureRandom();
    for (int i = 0; i < 1000; i++) {
      assertTrue(ids.add(Versions.format(2, random)), "an id was issued twice");
    }
  }

  @Test
  void next_afterExistingVersions_isHighestNumberPlusOne() {
    assertTrue(Versions.next(List.of(), FIXED).startsWith("v0001-"));
    assertTrue(Versions.next(List.of("v0001", "v0002"), FIXED).startsWith("v0003-"), "legacy ids");
    assertTrue(
        Versions.next(List.of("v0001-0123456789abcdef", "v0002-fedcba9876543210"), FIXED)
            .startsWith("v0003-"));
    assertTrue(Versions.next(List.of("v9999-0000000000000000", "v0005"), FIXED).startsWith("v10000-"));
    assertTrue(
        Versions.next(List.of("legacy-id", "2024.1", "v0002-xyz"), FIXED).startsWith("v0001-"),
        "other versions (also malformed suffixes) count as 0");
  }

  @Test
  void order_legacyAndRandomSuffixedVersions_sortByNumberThenText() {
    List<String> versions =
        new ArrayList<>(
            List.of(
                "v0002-ffffffffffffffff",
                "v10000-0000000000000000",
                "v0001",
                "v9999",
                "legacy",
                "v0002",
                "v0003-0000000000000000"));
    versions.sort(Versions.OLDEST_FIRST);
    assertEquals(
        List.of(
            "legacy",
            "v0001",
            "v0002",
            "v0002-ffffffffffffffff",
            "v0003-0000000000000000",
            "v9999",
            "v10000-0000000000000000"),
        versions);
  }

  @Test
  void order_numberedVersions_sortByNumberNotText() {
    List<String> versions = new ArrayList<>(List.of("v10000", "v9999", "legacy", "v0002", "a.1"));
    versions.sort(Versions.OLDEST_FIRST);
    assertEquals(List.of("a.1", "legacy", "v0002", "v9999", "v10000"), versions);
  }

  @Test
  void fromId_validVersionBytes_roundTrip() {
    assertEquals(Optional.of("v0007"), Versions.fromId(Versions.toId("v0007")));
    assertArrayEquals("v0007".getBytes(StandardCharsets.US_ASCII), Versions.toId("v0007"));
  }

  @Test
  void fromId_binaryIds_areCanonicalRfc7512Text() {
    assertEquals(Optional.of("%01%02%03"), Versions.fromId(new byte[] {1, 2, 3}));
    assertEquals(Optional.of("a%20b"), Versions.fromId("a b".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(Optional.of("v1%2F2"), Versions.fromId("v1/2".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(Optional.of("%FF%80"), Versions.fromId(new byte[] {(byte) 0xff, (byte) 0x80}));
    assertArrayEquals(new byte[] {1, 2, 3}, Versions.toId("%01%02%03"));
    assertArrayEquals(new byte[] {(byte) 0xff, 'a'}, Versions.toId("%FFa"));
    // Every id a pkcs11: reference can name maps to the same text KeyReference gives it.
    byte[] id = {0x01, 0x02, 'v', '~', (byte) 0xc3};
    String version = Versions.fromId(id).orElseThrow();
    assertEquals(
        dev.cmk.api.KeyReference.parse("pkcs11:object=k;id=%01%02v~%c3").version(),
        Optional.of(version));
    assertArrayEquals(id, Versions.toId(version));
  }

  @Test
  void fromId_emptyOrOversizedIds_areNotListed() {
    assertTrue(Versions.fromId(new byte[0]).isEmpty());
    assertTrue(Versions.fromId(null).isEmpty());
    assertTrue(Versions.fromId(new byte[65]).isEmpty());
    assertEquals(64 * 3, Versions.fromId(new byte[64]).orElseThrow().length());
  }

  @Test
  void toId_invalidVersion_illegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> Versions.toId("no spaces"));
    assertThrows(IllegalArgumentException.class, () -> Versions.toId(""));
    assertThrows(IllegalArgumentException.class, () -> Versions.toId("%0a"), "not canonical");
    assertThrows(IllegalArgumentException.class, () -> Versions.toId("%41"), "not canonical");
    assertThrows(IllegalArgumentException.class, () -> Versions.toId("%0"));
  }
}
