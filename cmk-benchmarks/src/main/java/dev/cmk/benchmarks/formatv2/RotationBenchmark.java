package dev.cmk.benchmarks.formatv2;

import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.RewrapItem;
import dev.cmk.core.RewrapReport;
import dev.cmk.core.RewrapSink;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.InMemoryDataKeyStore;
import dev.cmk.core.datakey.StoredDataKey;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Re-wrapping after a key rotation: 100,000 stored 1 KiB envelopes written by 4 writers over 24
 * hours (96 data keys, one per writer-hour), moved to the new key version. Format 1 re-wraps
 * envelopes ({@code EnvelopeCrypto.rewrapAll}: every envelope read and written again, header
 * replaced, body copied); format 2 re-wraps records ({@code dataKeyRecords().rewrapAll}: one
 * conditional store write per record). Time per whole re-wrap (single shot) and bytes written
 * (the {@code bytesWritten} counter).
 *
 * <pre>
 * java -jar cmk-benchmarks/target/benchmarks.jar formatv2.RotationBenchmark -f 1 -wi 1 -i 3
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public class RotationBenchmark {
  /** Envelopes stored. */
  static final int ENVELOPES = 100_000;
  /** Data keys (records) they were written under: 4 writers x 24 hours. */
  static final int DATA_KEYS = 96;

  /** Bytes the re-wrap wrote to storage (envelopes or records). */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Written {
    /** Bytes written by the last re-wrap. */
    public long bytesWritten;
  }

  /** A fresh corpus before every re-wrap, written under the first version, then rotated. */
  @State(Scope.Thread)
  public static class Corpus {
    /** Envelope format to write: 1 or 2. */
    @Param({"1", "2"})
    public int format;

    EnvelopeCrypto rotated;
    List<byte[]> envelopes;
    CountingStore store;

    /** Writes the corpus, rotates the key and opens an instance on the new version. */
    @Setup(Level.Invocation)
    public void write() {
      InMemoryKeyProvider keys = InMemoryKeyProvider.builder().build();
      KeyReference key = keys.manager().createKey("rotating", 2048).versionless();
      store = new CountingStore();
      DataKeyLimits perWriterHour = new DataKeyLimits(
          (ENVELOPES + DATA_KEYS - 1) / DATA_KEYS, 1L << 36, Duration.ofHours(1));
      var b = EnvelopeCrypto.builder().provider(keys).writeKey(key).dataKeyLimits(perWriterHour);
      if (format == 2) {
        b.dataKeyStore(store);
      }
      envelopes = new ArrayList<>(ENVELOPES);
      byte[] plaintext = new byte[1024];
      try (EnvelopeCrypto writer = b.build()) {
        for (int i = 0; i < ENVELOPES; i++) {
          envelopes.add(writer.encrypt(plaintext, aad(i)));
        }
      }
      keys.manager().rotateKey(key);
      var r = EnvelopeCrypto.builder().provider(keys).writeKey(key);
      if (format == 2) {
        r.dataKeyStore(store);
      }
      rotated = r.build();
      store.bytesWritten = 0;
    }
  }

  static byte[] aad(int i) {
    return ("Patient/" + i + "/1").getBytes(StandardCharsets.UTF_8);
  }

  /** The whole re-wrap after the rotation. */
  @Benchmark
  public long rewrapAfterRotation(Corpus c, Written written) throws Exception {
    RewrapReport report;
    long bytes;
    if (c.format == 1) {
      long[] sum = new long[1];
      List<RewrapItem> items = new ArrayList<>(ENVELOPES);
      for (int i = 0; i < ENVELOPES; i++) {
        int at = i;
        items.add(new RewrapItem() {
          @Override
          public String id() {
            return Integer.toString(at);
          }

          @Override
          public InputStream openSource() {
            return new ByteArrayInputStream(c.envelopes.get(at));
          }

          @Override
          public RewrapSink openSink() {
            ByteArrayOutputStream out = new ByteArrayOutputStream(1536);
            return new RewrapSink() {
              @Override
              public OutputStream stream() {
                return out;
              }

              @Override
              public void commit() {
                c.envelopes.set(at, out.toByteArray());
                sum[0] += out.size();
              }

              @Override
              public void close() {}
            };
          }
        });
      }
      report = c.rotated.rewrapAll(items, (id, outcome, done) -> { });
      bytes = sum[0];
    } else {
      report = c.rotated.dataKeyRecords().rewrapAll((id, outcome, done) -> { });
      bytes = c.store.bytesWritten;
    }
    if (report.failed() != 0 || report.rewrapped() == 0) {
      throw new IllegalStateException("re-wrap failed: " + report);
    }
    written.bytesWritten = bytes;
    c.rotated.close();
    return report.rewrapped();
  }

  /** An in-memory store that counts the bytes of every record it writes. */
  static final class CountingStore implements DataKeyStore {
    private final InMemoryDataKeyStore inner = new InMemoryDataKeyStore();
    volatile long bytesWritten;

    @Override
    public Optional<StoredDataKey> create(DataKeyRecord record) {
      bytesWritten += record.toBytes().length;
      return inner.create(record);
    }

    @Override
    public Optional<StoredDataKey> read(DataKeyId id) {
      return inner.read(id);
    }

    @Override
    public Optional<StoredDataKey> replace(String expectedRevision, DataKeyRecord next) {
      bytesWritten += next.toBytes().length;
      return inner.replace(expectedRevision, next);
    }

    @Override
    public Optional<StoredDataKey> newestWritable(String providerId, KeyReference primary,
        Instant notBefore) {
      return inner.newestWritable(providerId, primary, notBefore);
    }

    @Override
    public List<StoredDataKey> page(DataKeyId after, int limit) {
      return inner.page(after, limit);
    }
  }
}
