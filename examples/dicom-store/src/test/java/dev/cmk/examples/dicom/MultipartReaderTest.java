package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class MultipartReaderTest {

  /** Returns at most a few bytes per read, so delimiters straddle every buffer edge. */
  private static InputStream trickle(byte[] b, long seed) {
    Random r = new Random(seed);
    return new FilterInputStream(new ByteArrayInputStream(b)) {
      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        return super.read(buf, off, Math.min(len, 1 + r.nextInt(7000)));
      }
    };
  }

  private static List<byte[]> readAll(InputStream in, String boundary) throws IOException {
    MultipartReader reader = new MultipartReader(in, boundary);
    List<byte[]> parts = new ArrayList<>();
    Optional<MultipartReader.Part> p;
    while ((p = reader.next()).isPresent()) {
      parts.add(p.get().body().readAllBytes());
    }
    return parts;
  }

  @Property(tries = 80)
  void writerThenReader_anyParts_roundTrip(@ForAll long seed,
      @ForAll @IntRange(min = 0, max = 5) int count) throws Exception {
    Random r = new Random(seed);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MultipartWriter writer = new MultipartWriter(out);
    List<byte[]> parts = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte[] part = new byte[r.nextInt(200_000)];
      r.nextBytes(part);
      // near-delimiters inside the body: CRLF--, and the boundary without its CRLF
      byte[] near = ("\r\n--" + writer.boundary().substring(0, 10)).getBytes(StandardCharsets.US_ASCII);
      if (part.length > near.length) {
        System.arraycopy(near, 0, part, r.nextInt(part.length - near.length), near.length);
      }
      parts.add(part);
      writer.part("application/dicom");
      writer.body().write(part);
    }
    writer.finish();

    List<byte[]> back = readAll(trickle(out.toByteArray(), seed), writer.boundary());

    assertEquals(parts.size(), back.size());
    for (int i = 0; i < parts.size(); i++) {
      assertArrayEquals(parts.get(i), back.get(i), "part " + i);
    }
  }

  @Test
  void next_preambleHeadersAndPadding_areHandled() throws Exception {
    String body = "preamble text\r\n--b1  \r\nContent-Type: application/dicom\r\n"
        + "Content-Length: 3\r\n\r\nabc\r\n--b1\r\n\r\nxy\r\n--b1--\r\nepilogue";
    MultipartReader reader = new MultipartReader(
        new ByteArrayInputStream(body.getBytes(StandardCharsets.US_ASCII)), "b1");
    MultipartReader.Part first = reader.next().orElseThrow();
    assertEquals("application/dicom", first.headers().get("content-type"));
    assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII), first.body().readAllBytes());
    assertArrayEquals("xy".getBytes(StandardCharsets.US_ASCII),
        reader.next().orElseThrow().body().readAllBytes());
    assertTrue(reader.next().isEmpty());
  }

  @Test
  void next_bodyWithoutClosingDelimiter_throws() {
    byte[] body = "--b\r\n\r\nunterminated".getBytes(StandardCharsets.US_ASCII);
    assertThrows(IOException.class, () -> readAll(new ByteArrayInputStream(body), "b"));
  }

  @Test
  void constructor_boundaryTooLong_throws() {
    assertThrows(IllegalArgumentException.class,
        () -> new MultipartReader(InputStream.nullInputStream(), "x".repeat(201)));
  }
}
