package dev.cmk.core.datakey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The stored byte form of a record: every record round-trips exactly, and any truncation,
 * extension or byte change either decodes to some valid record or is refused with {@link
 * IllegalArgumentException} — never another exception, never a record read past the input.
 */
class DataKeyRecordCodecTest {

  @Provide
  Arbitrary<DataKeyRecord> records() {
    Arbitrary<byte[]> ids = Arbitraries.bytes().array(byte[].class).ofSize(32);
    Arbitrary<List<WrappedKey>> wrappings = Arbitraries.integers().between(1, 16)
        .flatMap(n -> Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(600)
            .list().ofSize(n).map(cts -> {
              List<WrappedKey> out = new ArrayList<>();
              for (int i = 0; i < cts.size(); i++) {
                out.add(new WrappedKey(i % 2 == 0 ? "azure-keyvault" : "pkcs11",
                    KeyReference.parse("https://vault" + i + ".vault.azure.net/keys/k/"
                        + String.format("%032x", i)),
                    i % 3 == 0 ? WrapAlgorithm.RSA_OAEP_SHA1 : WrapAlgorithm.RSA_OAEP_256,
                    cts.get(i)));
              }
              return out;
            }));
    Arbitrary<String> by = Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(128);
    Arbitrary<Long> millis = Arbitraries.longs().between(0, 4_102_444_800_000L);
    Arbitrary<Long> slots = Arbitraries.longs().between(0, DataKeyRecord.MAX_WRITER_SLOTS);
    return Combinators.combine(ids, wrappings, by, millis, slots).as((id, w, b, t, s) ->
        new DataKeyRecord(DataKeyId.of(id), w, Instant.ofEpochMilli(t), b, s));
  }

  @Property(tries = 200)
  void anyRecord_roundTripsExactly(@ForAll("records") DataKeyRecord r) {
    assertEquals(r, DataKeyRecord.fromBytes(r.toBytes()));
  }

  @Property(tries = 300)
  void truncated_isRefused(@ForAll("records") DataKeyRecord r, @ForAll @IntRange(min = 0,
      max = 100_000) int cut) {
    byte[] b = r.toBytes();
    byte[] t = Arrays.copyOf(b, cut % b.length);
    assertThrows(IllegalArgumentException.class, () -> DataKeyRecord.fromBytes(t));
  }

  @Property(tries = 100)
  void trailingBytes_areRefused(@ForAll("records") DataKeyRecord r) {
    byte[] b = r.toBytes();
    assertThrows(IllegalArgumentException.class,
        () -> DataKeyRecord.fromBytes(Arrays.copyOf(b, b.length + 1)));
  }

  @Property(tries = 1000)
  void anyChangedByte_decodesOrIsRefusedWithIllegalArgument(
      @ForAll("records") DataKeyRecord r, @ForAll @IntRange(min = 0, max = 100_000) int at,
      @ForAll byte value) {
    byte[] b = r.toBytes();
    b[at % b.length] = value;
    try {
      DataKeyRecord decoded = DataKeyRecord.fromBytes(b);
      assertEquals(decoded, DataKeyRecord.fromBytes(decoded.toBytes()));
    } catch (IllegalArgumentException refused) {
      // the documented outcome for a malformed record
    }
  }
}
