package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GeneratedInputStreamTest {

  /** Byte {@code p} is {@code p * 7 + 3}; records every call. */
  private static final class Counter extends GeneratedInputStream {
    final List<long[]> calls = new ArrayList<>();

    Counter(long length) {
      super(length);
    }

    @Override
    protected void generate(long position, byte[] b, int off, int len) {
      calls.add(new long[] {position, len});
      for (int i = 0; i < len; i++) {
        b[off + i] = (byte) ((position + i) * 7 + 3);
      }
    }
  }

  private static byte[] expected(int from, int to) {
    byte[] e = new byte[to - from];
    for (int p = from; p < to; p++) {
      e[p - from] = (byte) (p * 7 + 3);
    }
    return e;
  }

  @Test
  void readAll_deliversLengthBytesInOrder_thenEnd() throws IOException {
    Counter in = new Counter(10_000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(10_000, in.transferTo(out));
    assertArrayEquals(expected(0, 10_000), out.toByteArray());
    assertEquals(-1, in.read());
    assertEquals(-1, in.read(new byte[4], 0, 4));
    assertEquals(10_000, in.position());
  }

  @Test
  void read_singleBytesAndArrays_continueEachOther() throws IOException {
    Counter in = new Counter(5);
    assertEquals(3, in.read());
    byte[] b = new byte[8];
    assertEquals(3, in.read(b, 2, 3));
    assertArrayEquals(expected(1, 4), Arrays.copyOfRange(b, 2, 5));
    assertEquals((byte) (4 * 7 + 3), (byte) in.read());
    assertEquals(-1, in.read());
    assertEquals(0, in.available());
  }

  @Test
  void generate_calledWithAdjacentRanges_neverPastTheEnd() throws IOException {
    Counter in = new Counter(100);
    in.skipNBytes(30);
    in.readNBytes(new byte[200], 0, 200);
    long next = 0;
    for (long[] call : in.calls) {
      assertEquals(next, call[0]);
      next += call[1];
    }
    assertEquals(100, next);
  }

  @Test
  void read_zeroLength_returnsZeroWithoutGenerating() {
    Counter in = new Counter(5);
    assertEquals(0, in.read(new byte[1], 0, 0));
    assertEquals(List.of(), in.calls);
    assertEquals(5, in.available());
  }

  @Test
  void read_badIndexes_throwIndexOutOfBounds() {
    Counter in = new Counter(5);
    assertThrows(IndexOutOfBoundsException.class, () -> in.read(new byte[4], 3, 2));
    assertThrows(IndexOutOfBoundsException.class, () -> in.read(new byte[4], -1, 1));
    assertEquals(0, in.position());
  }

  @Test
  void constructor_negativeLength_refused() {
    assertThrows(IllegalArgumentException.class, () -> new Counter(-1));
  }

  @Test
  void available_longerThanAnInt_isCapped() {
    assertEquals(Integer.MAX_VALUE, new Counter(5L << 32).available());
  }
}
