package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import net.jqwik.api.constraints.AlphaChars;
import org.junit.jupiter.api.Test;

class DicomParserTest {

  static ParsedInstance parse(byte[] file) throws DicomParseException, IOException {
    return DicomParser.parse(new ByteArrayInputStream(file), (ts, ds) -> { });
  }

  static byte[] frameBytes(byte[] file, List<ParsedInstance.Fragment> frame) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ParsedInstance.Fragment f : frame) {
      out.write(file, (int) f.offset(), (int) f.length());
    }
    return out.toByteArray();
  }

  @Test
  void parse_explicitMultiFrame_locatesEveryFrameAndAttribute() throws Exception {
    DicomFiles d = new DicomFiles();
    d.frames = 5;
    byte[] file = d.build();
    ParsedInstance p = parse(file);
    assertEquals("1.2.840.10008.1.2.1", p.transferSyntax());
    assertEquals(new InstanceKey(d.study, d.series, d.sop), p.key());
    assertEquals("Doe^Jane", p.text(DicomDictionary.PATIENT_NAME).orElseThrow());
    assertEquals(5, p.frames().size());
    for (int i = 0; i < 5; i++) {
      assertArrayEquals(d.frame(i), frameBytes(file, p.frames().get(i)), "frame " + i);
    }
    assertEquals(file.length, p.length());
    assertFalse(p.encapsulated());
  }

  @Test
  void parse_implicitVr_readsAttributesWithDictionaryVrs() throws Exception {
    DicomFiles d = new DicomFiles();
    d.implicit = true;
    d.frames = 2;
    byte[] file = d.build();
    ParsedInstance p = parse(file);
    assertEquals("1.2.840.10008.1.2", p.transferSyntax());
    assertEquals("PN", ParsedInstance.find(p.dataset(), DicomDictionary.PATIENT_NAME)
        .orElseThrow().vr());
    assertEquals(2, p.frames().size());
    assertArrayEquals(d.frame(1), frameBytes(file, p.frames().get(1)));
  }

  @Test
  void parse_encapsulatedOneFragmentPerFrame_mapsFragments() throws Exception {
    DicomFiles d = new DicomFiles();
    d.frames = 3;
    d.fragments = List.of(new byte[] {1, 2}, new byte[] {3, 4, 5, 6}, new byte[] {7, 8});
    byte[] file = d.build();
    ParsedInstance p = parse(file);
    assertTrue(p.encapsulated());
    assertEquals(3, p.frames().size());
    assertArrayEquals(new byte[] {3, 4, 5, 6}, frameBytes(file, p.frames().get(1)));
  }

  @Test
  void parse_encapsulatedSingleFrameManyFragments_joinsThem() throws Exception {
    DicomFiles d = new DicomFiles();
    d.fragments = List.of(new byte[] {1, 2}, new byte[] {3, 4});
    byte[] file = d.build();
    ParsedInstance p = parse(file);
    assertEquals(1, p.frames().size());
    assertArrayEquals(new byte[] {1, 2, 3, 4}, frameBytes(file, p.frames().get(0)));
  }

  @Test
  void parse_encapsulatedAmbiguousWithoutOffsetTable_locatesNoFrames() throws Exception {
    DicomFiles d = new DicomFiles();
    d.frames = 2;
    d.fragments = List.of(new byte[] {1, 2}, new byte[] {3, 4}, new byte[] {5, 6});
    assertEquals(List.of(), parse(d.build()).frames());
  }

  @Test
  void parse_encapsulatedWithOffsetTable_usesIt() throws Exception {
    DicomFiles d = new DicomFiles();
    d.frames = 3;
    d.offsetTable = true;
    d.fragments = List.of(new byte[] {1, 2}, new byte[] {3, 4}, new byte[] {5, 6, 7, 8});
    byte[] file = d.build();
    ParsedInstance p = parse(file);
    assertEquals(3, p.frames().size());
    assertArrayEquals(new byte[] {5, 6, 7, 8}, frameBytes(file, p.frames().get(2)));
  }

  @Test
  void parse_noDicmPrefix_throwsParseException() {
    byte[] file = new DicomFiles().build();
    file[129] = 'X';
    assertThrows(DicomParseException.class, () -> parse(file));
  }

  @Test
  void parse_bigEndian_throwsParseException() {
    DicomFiles d = new DicomFiles();
    byte[] file = d.build();
    String s = new String(file, java.nio.charset.StandardCharsets.ISO_8859_1)
        .replace("1.2.840.10008.1.2.1\0", "1.2.840.10008.1.2.2\0");
    assertThrows(DicomParseException.class,
        () -> parse(s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
  }

  @Test
  void parse_sequencesNestedTooDeep_throwsParseException() {
    ByteArrayOutputStream ds = new ByteArrayOutputStream();
    int depth = DicomParser.MAX_DEPTH + 2;
    for (int i = 0; i < depth; i++) {
      DicomFiles.tag(ds, 0x00081115);
      ds.writeBytes("SQ\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      ds.writeBytes(DicomFiles.le(0xFFFFFFFFL, 4));
      DicomFiles.tag(ds, 0xFFFEE000);
      ds.writeBytes(DicomFiles.le(0xFFFFFFFFL, 4));
    }
    DicomParseException e = assertThrows(DicomParseException.class,
        () -> DicomParser.dataset(new ByteArrayInputStream(ds.toByteArray())));
    assertTrue(e.getMessage().contains("nested"), e.getMessage());
  }

  @Test
  void parse_elementLongerThanItsItem_throwsParseException() {
    ByteArrayOutputStream ds = new ByteArrayOutputStream();
    DicomFiles.tag(ds, 0x00081115);
    ds.writeBytes("SQ\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    ds.writeBytes(DicomFiles.le(20, 4));
    DicomFiles.tag(ds, 0xFFFEE000);
    ds.writeBytes(DicomFiles.le(12, 4));
    DicomFiles.explicit(ds, 0x00100010, "PN", new byte[40]);
    assertThrows(DicomParseException.class,
        () -> DicomParser.dataset(new ByteArrayInputStream(ds.toByteArray())));
  }

  @Test
  void metadata_encodeDecode_roundTrips() throws Exception {
    DicomFiles d = new DicomFiles();
    d.frames = 4;
    ParsedInstance p = parse(d.build());
    byte[] binding = {1, 2, 3};
    ParsedInstance back = ParsedInstance.decode(p.encode(binding), binding).orElseThrow();
    assertEquals(p.dataset(), back.dataset());
    assertEquals(p.frames(), back.frames());
    assertEquals(p.transferSyntax(), back.transferSyntax());
    assertTrue(ParsedInstance.decode(p.encode(binding), new byte[] {9}).isEmpty());
  }

  @Property(tries = 60)
  void parse_generatedFiles_attributesAndFramesAsWritten(
      @ForAll @AlphaChars @StringLength(min = 1, max = 30) String name,
      @ForAll @IntRange(min = 1, max = 12) int frames,
      @ForAll @IntRange(min = 1, max = 40) int rows,
      @ForAll boolean implicit) throws Exception {
    DicomFiles d = new DicomFiles();
    d.patientName = name;
    d.frames = frames;
    d.rows = rows;
    d.implicit = implicit;
    byte[] file = d.build();
    ParsedInstance p = parse(file);
    assertEquals(name, p.text(DicomDictionary.PATIENT_NAME).orElseThrow());
    assertEquals(frames, p.frames().size());
    assertArrayEquals(d.frame(frames - 1), frameBytes(file, p.frames().get(frames - 1)));
    assertEquals(p.dataset(), DicomParser.dataset(
        new ByteArrayInputStream(ParsedInstance.encodeDataset(p.dataset()))));
  }

  /**
   * Fuzz: random byte changes, truncations and insertions of valid files (native, implicit,
   * encapsulated) never make the parser throw anything but its parse exception, nor hang.
   */
  @Property(tries = 400)
  void parse_mutatedFiles_onlyParseExceptionNeverHangs(@ForAll long seed,
      @ForAll @IntRange(min = 0, max = 2) int kind) {
    Random r = new Random(seed);
    DicomFiles d = new DicomFiles();
    d.frames = 1 + r.nextInt(3);
    if (kind == 1) {
      d.implicit = true;
    } else if (kind == 2) {
      d.fragments = List.of(new byte[] {1, 2, 3, 4}, new byte[] {5, 6});
      d.frames = 1;
    }
    byte[] file = d.build();
    int mutations = 1 + r.nextInt(8);
    for (int m = 0; m < mutations; m++) {
      int op = r.nextInt(4);
      int at = 128 + r.nextInt(file.length - 128);
      if (op == 0) {
        file[at] = (byte) r.nextInt(256);
      } else if (op == 1) {
        file[at] = (byte) 0xFF; // undefined lengths, item tags
      } else if (op == 2) {
        file = Arrays.copyOf(file, at);
      } else {
        byte[] longer = new byte[file.length + 4];
        System.arraycopy(file, 0, longer, 0, at);
        longer[at] = (byte) r.nextInt(256);
        longer[at + 1] = (byte) 0xFE;
        longer[at + 2] = (byte) 0xFF;
        System.arraycopy(file, at, longer, at + 4, file.length - at);
        file = longer;
      }
      if (file.length <= 132) {
        break;
      }
    }
    byte[] input = file;
    assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      try {
        parse(input);
      } catch (DicomParseException expected) {
        // the only exception bad input may cause
      }
    });
  }
}
