package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RangeSelectionTest {
  private static final String ETAG = "\"abc\"";
  private static final long LENGTH = 1000;

  private static RangeSelection of(String range) {
    return RangeSelection.of(range, null, ETAG, LENGTH);
  }

  @ParameterizedTest
  @CsvSource({
    "bytes=0-0, 0, 0",
    "bytes=0-999, 0, 999",
    "bytes=100-199, 100, 199",
    "bytes=990-5000, 990, 999",
    "bytes=990-, 990, 999",
    "bytes=-1, 999, 999",
    "bytes=-10, 990, 999",
    "bytes=-5000, 0, 999",
    "BYTES=1-2, 1, 2",
    "' bytes= 1-2 ', 1, 2",
    "bytes=0-99999999999999999999999, 0, 999",
    "bytes=-99999999999999999999999, 0, 999"
  })
  void of_satisfiable_isPartial(String range, long first, long last) {
    assertEquals(new RangeSelection.Partial(first, last), of(range));
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes=1000-", "bytes=1000-2000", "bytes=-0", "bytes=99999999999999999999-"})
  void of_unsatisfiable_is416(String range) {
    assertEquals(new RangeSelection.Unsatisfiable(), of(range));
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "bytes=5-2", "bytes=0-1,5-6", "bytes=", "bytes=-", "bytes=a-b", "bytes=1", "items=0-5",
    "bytes=+1-2", "bytes=1-+2", "bytes=--1", "bytes=1--2", "0-5"
  })
  void of_invalidOrUnsupported_isIgnored(String range) {
    assertEquals(new RangeSelection.Whole(), of(range));
  }

  @Test
  void of_noRange_isWhole() {
    assertEquals(new RangeSelection.Whole(), of(null));
  }

  @Test
  void of_emptyInstance_everyRangeIsUnsatisfiable() {
    assertEquals(new RangeSelection.Unsatisfiable(), RangeSelection.of("bytes=0-", null, ETAG, 0));
    assertEquals(new RangeSelection.Unsatisfiable(), RangeSelection.of("bytes=-5", null, ETAG, 0));
  }

  @Test
  void of_ifRange_appliesTheRangeOnlyForTheCurrentStrongEtag() {
    RangeSelection.Partial first10 = new RangeSelection.Partial(0, 9);
    assertEquals(first10, RangeSelection.of("bytes=0-9", ETAG, ETAG, LENGTH));
    assertEquals(first10, RangeSelection.of("bytes=0-9", " " + ETAG + " ", ETAG, LENGTH));
    assertEquals(new RangeSelection.Whole(), RangeSelection.of("bytes=0-9", "\"old\"", ETAG, LENGTH));
    assertEquals(new RangeSelection.Whole(), RangeSelection.of("bytes=0-9", "W/" + ETAG, ETAG, LENGTH));
    assertEquals(new RangeSelection.Whole(),
        RangeSelection.of("bytes=0-9", "Wed, 21 Oct 2015 07:28:00 GMT", ETAG, LENGTH));
  }

  @Test
  void partial_lengthAndContentRange() {
    RangeSelection.Partial p = new RangeSelection.Partial(10, 19);
    assertEquals(10, p.length());
    assertEquals("bytes 10-19/1000", p.contentRange(1000));
    assertThrows(IllegalArgumentException.class, () -> new RangeSelection.Partial(5, 4));
    assertThrows(IllegalArgumentException.class, () -> new RangeSelection.Partial(-1, 4));
  }
}
