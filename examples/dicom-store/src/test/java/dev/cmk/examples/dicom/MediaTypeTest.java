package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MediaTypeTest {

  @Test
  void parse_typeAndParameters_lowerCasedNamesAndUnquotedValues() {
    MediaType t = MediaType.parse(
        "Multipart/Related; Type=\"application/dicom\"; boundary=abc ; transfer-syntax=*");
    assertEquals("multipart/related", t.type());
    assertEquals(Map.of("type", "application/dicom", "boundary", "abc", "transfer-syntax", "*"),
        t.parameters());
    assertEquals("", t.parameter("charset"));
  }

  @Test
  void parse_separatorsAndQuotedPairsInsideQuotes_belongToTheValue() {
    MediaType t = MediaType.parse(
        "multipart/related; boundary=\"a;b,c\\\"; d\\\\e\"; type=\"application/dicom\"");
    assertEquals("a;b,c\"; d\\e", t.parameter("boundary"));
    assertEquals("application/dicom", t.parameter("type"));
  }

  @Test
  void parse_parameterTwice_firstCounts_andNamelessOrValuelessSkipped() {
    MediaType t = MediaType.parse("application/dicom; a=1; A=2;=3; b");
    assertEquals(Map.of("a", "1"), t.parameters());
  }

  @Test
  void parse_missingHeader_emptyType() {
    assertEquals(new MediaType("", Map.of()), MediaType.parse(null));
    assertEquals("", MediaType.parse("").type());
  }

  @Test
  void accept_rangesSplitOnCommasOutsideQuotes_acrossHeaders() {
    List<MediaType> ranges = MediaType.accept(List.of(
        "multipart/related; type=\"application/dicom\"; boundary=\"x,y\", ",
        "application/dicom+json;q=0.5,*/*"));
    assertEquals(List.of("multipart/related", "application/dicom+json", "*/*"),
        ranges.stream().map(MediaType::type).toList());
    assertEquals("x,y", ranges.get(0).parameter("boundary"));
    assertEquals("0.5", ranges.get(1).parameter("q"));
    assertEquals(List.of(), MediaType.accept(List.of()));
  }
}
