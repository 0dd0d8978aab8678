package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.datakey.CountingDataKeyStore;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.SharingWriterProcess;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.Operation;
import dev.cmk.testkit.TestKeyPairs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Format v2 writers in {@value #WRITERS} JVM processes share data-key records through one
 * database ({@code shareDataKeyRecords(true)}, {@value #MESSAGES_PER_SLOT}
 * messages per writer slot) and write {@value #PER_WRITER} envelopes each, concurrently. Then this
 * JVM reads every envelope back and checks what keeps nonces unique: no (record, writer slot,
 * message number) triple repeats, no (record, slot) was used by two processes, records were
 * shared, and each record was read and unwrapped once. On PostgreSQL, and on an H2 server.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DataKeyWritersProcessIT {
  private static final int WRITERS = 4;
  private static final int PER_WRITER = 300;
  private static final String TABLE = "cmk_data_keys_writers";
  private static final int MESSAGES_PER_SLOT = 50;

  @TempDir
  Path dir;

  /** Header fields that fix the body key and nonce (see docs/envelope-format.md, v2). */
  private record NonceUse(String record, long slot, long message) {
    static NonceUse of(byte[] envelope) {
      ByteBuffer b = ByteBuffer.wrap(envelope);
      String record = EnvelopeInfo.of(envelope).dataKeyId().orElseThrow().hex();
      assertEquals(record, DataKeyId.of(java.util.Arrays.copyOfRange(envelope, 7, 39)).hex());
      long message = 0;
      for (int i = 43; i < 48; i++) {
        message = (message << 8) | (envelope[i] & 0xff);
      }
      return new NonceUse(record, b.getInt(39) & 0xffffffffL, message);
    }
  }

  @Test
  void sharingWriters_inFourProcesses_neverRepeatANonce_postgres() throws Exception {
    TestDatabases.onPostgres(this::writeAndCheck);
  }

  @Test
  void sharingWriters_inFourProcesses_neverRepeatANonce_h2Server() throws Exception {
    TestDatabases.onH2Server("writers", this::writeAndCheck);
  }

  private void writeAndCheck(String url, String user, String password) throws Exception {
    SharingWriterProcess.Written written = new SharingWriterProcess.Launch(
        JdbcWriterStore.class, List.of(url, user, TABLE),
        Map.of(JdbcWriterStore.PASSWORD, password), MESSAGES_PER_SLOT, "target/data-key-")
        .run(WRITERS, PER_WRITER, dir);
    Path out = written.envelopes();
    long[] calls = written.sums();
    long created = calls[0];

    Map<NonceUse, String> uses = new HashMap<>();
    Map<String, String> slotOwner = new HashMap<>();
    Map<String, Set<String>> writersOfRecord = new TreeMap<>();
    Map<String, Long> highestSlot = new HashMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(out)) {
      files = s.sorted().toList();
    }
    assertEquals(WRITERS * PER_WRITER, files.size());
    for (Path f : files) {
      String writer = f.getFileName().toString().replaceAll("-\\d+\\.env$", "");
      NonceUse use = NonceUse.of(Files.readAllBytes(f));
      assertNull(uses.put(use, writer), () -> "nonce used twice: " + use);
      String slot = use.record() + "/" + use.slot();
      String owner = slotOwner.putIfAbsent(slot, writer);
      assertTrue(owner == null || owner.equals(writer),
          "slot " + slot + " used by " + owner + " and " + writer);
      writersOfRecord.computeIfAbsent(use.record(), r -> new HashSet<>()).add(writer);
      highestSlot.merge(use.record(), use.slot(), Math::max);
    }
    assertTrue(writersOfRecord.values().stream().anyMatch(w -> w.size() >= 2),
        "no record was shared by two processes: " + writersOfRecord);

    JdbcDataKeyStore store = JdbcDataKeyStore.builder()
        .dataSource(TestDatabases.dataSource(url, user, password)).table(TABLE).build();
    for (Map.Entry<String, Long> e : highestSlot.entrySet()) {
      DataKeyRecord r = store.read(DataKeyId.parse(e.getKey())).orElseThrow().record();
      assertTrue(r.writerSlots() > e.getValue(), r + " handed out fewer slots than were used");
    }
    CountingDataKeyStore counting = new CountingDataKeyStore(store);
    InMemoryKeyProvider keys = InMemoryKeyProvider.create();
    KeyReference key = keys.manager().importKey(written.keyName(), TestKeyPairs.rsa2048());
    FaultInjectingProvider counted = FaultInjectingProvider.wrapping(keys);
    try (EnvelopeCrypto reader = EnvelopeCrypto.builder().provider(counted).writeKey(key)
        .dataKeyStore(counting).build()) {
      counted.resetCounters(); // building confirms the write key with a wrap and an unwrap
      for (Path f : files) {
        String writer = f.getFileName().toString().replaceAll("-\\d+\\.env$", "");
        String i = f.getFileName().toString().replaceAll(".*-(\\d+)\\.env$", "$1");
        assertArrayEquals((writer + "/" + i).getBytes(StandardCharsets.US_ASCII),
            reader.decrypt(Files.readAllBytes(f), writer.getBytes(StandardCharsets.US_ASCII)));
      }
    }
    assertEquals(writersOfRecord.size(), counted.count(Operation.UNWRAP), "one unwrap per record");
    assertEquals(writersOfRecord.size(), counting.reads(), "one store read per record");
    assertEquals(created, writersOfRecord.size(), "every record made was written under");
    Map<String, Integer> slotsPerRecord = new TreeMap<>();
    slotOwner.keySet().forEach(s -> slotsPerRecord.merge(s.split("/")[0].substring(0, 8), 1,
        Integer::sum));
    System.out.println("DataKeyWritersProcessIT " + url.replaceAll("//[^/]*/", "//…/") + ": "
        + files.size() + " envelopes from " + WRITERS + " processes, " + writersOfRecord.size()
        + " records, " + slotOwner.size() + " slots; slots per record " + slotsPerRecord
        + "; processes per record " + writersOfRecord.values().stream().map(Set::size).toList()
        + "; writers' store calls: " + calls[1] + " create, " + calls[2] + " read, " + calls[3]
        + " newestWritable, " + calls[4] + " replace won, " + calls[5] + " replace lost");
  }
}
