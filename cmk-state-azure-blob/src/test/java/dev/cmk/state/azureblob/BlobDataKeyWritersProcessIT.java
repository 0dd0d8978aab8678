package dev.cmk.state.azureblob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.SharingWriterProcess;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.Operation;
import dev.cmk.testkit.TestKeyPairs;
import dev.cmk.testkit.azurite.Azurite;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Format v2 writers in {@value #WRITERS} JVM processes share data-key records through one blob
 * container (ETag-conditional slot claims) and write {@value #PER_WRITER} envelopes each, at
 * once. Every envelope is read back: no (record, writer slot, message number) repeats, no slot
 * was used by two processes, a record was shared, and each record was unwrapped once.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class BlobDataKeyWritersProcessIT {
  private static final int WRITERS = 3;
  private static final int PER_WRITER = 200;
  private static final int MESSAGES_PER_SLOT = 25;

  @TempDir
  Path dir;

  private record NonceUse(String record, long slot, long message) {
    static NonceUse of(byte[] envelope) {
      long message = 0;
      for (int i = 43; i < 48; i++) {
        message = (message << 8) | (envelope[i] & 0xff);
      }
      return new NonceUse(EnvelopeInfo.of(envelope).dataKeyId().orElseThrow().hex(),
          ByteBuffer.wrap(envelope).getInt(39) & 0xffffffffL, message);
    }
  }

  @Test
  void sharingWriters_inThreeProcesses_neverRepeatANonce() throws Exception {
    Azurite azurite = Azurite.shared();
    String container = azurite.createContainer();
    SharingWriterProcess.Written written = new SharingWriterProcess.Launch(
        BlobWriterStore.class, List.of(container),
        Map.of(BlobWriterStore.CONNECTION_STRING, azurite.connectionString()), MESSAGES_PER_SLOT,
        "target/blob-data-key-").run(WRITERS, PER_WRITER, dir);
    Path out = written.envelopes();
    long created = written.recordsMade();

    List<Path> files;
    try (Stream<Path> s = Files.list(out)) {
      files = s.sorted().toList();
    }
    assertEquals(WRITERS * PER_WRITER, files.size());
    Map<NonceUse, String> uses = new HashMap<>();
    Map<String, String> slotOwner = new HashMap<>();
    Map<String, Set<String>> writersOfRecord = new HashMap<>();
    for (Path f : files) {
      String writer = f.getFileName().toString().replaceAll("-\\d+\\.env$", "");
      NonceUse use = NonceUse.of(Files.readAllBytes(f));
      assertNull(uses.put(use, writer), () -> "nonce used twice: " + use);
      String owner = slotOwner.putIfAbsent(use.record() + "/" + use.slot(), writer);
      assertTrue(owner == null || owner.equals(writer), "slot of two processes: " + use);
      writersOfRecord.computeIfAbsent(use.record(), r -> new HashSet<>()).add(writer);
    }
    assertTrue(writersOfRecord.values().stream().anyMatch(w -> w.size() >= 2),
        "no record shared: " + writersOfRecord);
    assertEquals(created, writersOfRecord.size(), "every record made was written under");

    BlobDataKeyStore store =
        BlobDataKeyStore.builder().containerClient(azurite.client(container)).build();
    for (String record : writersOfRecord.keySet()) {
      long slotsUsed = slotOwner.keySet().stream().filter(s -> s.startsWith(record)).count();
      assertTrue(store.read(DataKeyId.parse(record)).orElseThrow().record().writerSlots()
          >= slotsUsed);
    }
    InMemoryKeyProvider keys = InMemoryKeyProvider.create();
    KeyReference key = keys.manager().importKey(written.keyName(), TestKeyPairs.rsa2048());
    FaultInjectingProvider counted = FaultInjectingProvider.wrapping(keys);
    try (EnvelopeCrypto reader = EnvelopeCrypto.builder().provider(counted).writeKey(key)
        .dataKeyStore(store).build()) {
      counted.resetCounters();
      for (Path f : files) {
        String name = f.getFileName().toString();
        String writer = name.replaceAll("-\\d+\\.env$", "");
        String i = name.replaceAll(".*-(\\d+)\\.env$", "$1");
        assertArrayEquals((writer + "/" + i).getBytes(StandardCharsets.US_ASCII),
            reader.decrypt(Files.readAllBytes(f), writer.getBytes(StandardCharsets.US_ASCII)));
      }
    }
    assertEquals(writersOfRecord.size(), counted.count(Operation.UNWRAP), "one unwrap per record");
    System.out.println("BlobDataKeyWritersProcessIT: " + files.size() + " envelopes from "
        + WRITERS + " processes, " + writersOfRecord.size() + " records, " + slotOwner.size()
        + " slots; processes per record "
        + writersOfRecord.values().stream().map(Set::size).toList());
  }
}
