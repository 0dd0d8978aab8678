package dev.cmk.softhsm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VersionsTest {

  @Test
  void format_firstVersions_areFourDigitsWithPrefix() {
    assertEquals("v0001", Versions.first());
    assertEquals("v0042", Versions.format(42));
    assertEquals("v12345", Versions.format(12345));
    assertThrows(IllegalArgumentException.class, () -> Versions.format(0));
  }

  @Test
  void next_afterExistingVersions_isHighestNumberPlusOne() {
    assertEquals("v0001", Versions.next(List.of()));
    assertEquals("v0003", Versions.next(List.of("v0001", "v0002")));
    assertEquals("v10000", Versions.next(List.of("v9999", "v0005")));
    assertEquals("v0001", Versions.next(List.of("legacy-id", "2024.1")), "other versions count as 0");
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
  void fromId_binaryOrOversizedIds_areIgnored() {
    assertTrue(Versions.fromId(new byte[] {1, 2, 3}).isEmpty());
    assertTrue(Versions.fromId(new byte[0]).isEmpty());
    assertTrue(Versions.fromId(null).isEmpty());
    assertTrue(Versions.fromId("a b".getBytes(StandardCharsets.US_ASCII)).isEmpty());
    assertTrue(Versions.fromId("v1/2".getBytes(StandardCharsets.US_ASCII)).isEmpty());
    assertTrue(Versions.fromId(new byte[65]).isEmpty());
  }

  @Test
  void toId_invalidVersion_illegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> Versions.toId("no spaces"));
    assertThrows(IllegalArgumentException.class, () -> Versions.toId(""));
  }
}
