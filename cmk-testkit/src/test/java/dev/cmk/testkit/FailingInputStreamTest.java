package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FailingInputStreamTest {
  private static final byte[] DATA = "0123456789abcdef".getBytes();

  @Test
  void failingAt_deliversExactlyThePrefix_thenFailsOnEveryRead() throws IOException {
    FailingInputStream in = FailingInputStream.failingAt(DATA, 10, "reset");
    byte[] buffer = new byte[64];
    assertEquals(10, in.readNBytes(buffer, 0, 10), "no read crosses the failure point");
    assertArrayEquals(Arrays.copyOf(DATA, 10), Arrays.copyOf(buffer, 10));
    for (int i = 0; i < 3; i++) {
      IOException e = assertThrows(IOException.class, () -> in.read(buffer));
      assertEquals("reset", e.getMessage());
    }
    assertEquals(10, in.position());
  }

  @Test
  void failingOnceAt_failsOnce_thenDeliversTheRestAndEnds() throws IOException {
    InputStream in = FailingInputStream.failingOnceAt(DATA, 5, "blip");
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buffer = new byte[4];
    int failures = 0;
    while (true) {
      int n;
      try {
        n = in.read(buffer);
      } catch (IOException e) {
        failures++;
        continue;
      }
      if (n < 0) {
        break;
      }
      got.write(buffer, 0, n);
    }
    assertEquals(1, failures);
    assertArrayEquals(DATA, got.toByteArray());
  }

  @Test
  void failingAtTheEnd_failsInsteadOfEndOfStream() {
    InputStream in = FailingInputStream.failingAt(DATA, DATA.length, "cut");
    assertThrows(IOException.class, in::readAllBytes);
  }

  @Test
  void failurePointOutsideTheData_isRejected() {
    assertThrows(IndexOutOfBoundsException.class, () -> FailingInputStream.failingAt(DATA, 17, "x"));
    assertThrows(IndexOutOfBoundsException.class, () -> FailingInputStream.failingAt(DATA, -1, "x"));
  }
}
