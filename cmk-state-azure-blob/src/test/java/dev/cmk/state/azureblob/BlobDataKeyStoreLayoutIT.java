package dev.cmk.state.azureblob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.ListBlobsOptions;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.StoredDataKey;
import dev.cmk.testkit.azurite.Azurite;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The blob layout and its crash cases on Azurite: the record blob is the source of truth, a
 * marker without its record is ignored, a record without its marker is readable but not joinable,
 * and a replace that changes the primary makes the record joinable under the new one.
 */
class BlobDataKeyStoreLayoutIT {
  private static final Instant T0 = Instant.parse("2026-12-07T10:15:30.123Z");
  private static final KeyReference V2 =
      KeyReference.parse("https://failure.vault.azure.net/keys/k/" + "2".repeat(32));

  private static BlobContainerClient raw;

  @BeforeAll
  static void server() {
    Azurite azurite = Azurite.shared();
    raw = azurite.client(azurite.createContainer());
  }

  private static BlobDataKeyStore store(String prefix) {
    return BlobDataKeyStore.builder().containerClient(raw).blobPrefix(prefix).build();
  }

  private static List<String> names(String prefix) {
    return raw.listBlobs(new ListBlobsOptions().setPrefix(prefix), Duration.ofSeconds(10))
        .stream().map(BlobItem::getName).toList();
  }

  @Test
  void create_writesTheRecordAndOneMarker() {
    BlobDataKeyStore store = store("layout-a/");
    DataKeyRecord r = BlobDataKeyStoreFailureIT.record(BlobDataKeyStoreFailureIT.V1, T0);
    store.create(r).orElseThrow();
    List<String> names = names("layout-a/");
    assertEquals(2, names.size(), names::toString);
    assertTrue(names.contains("layout-a/records/" + r.id()), names::toString);
    String marker = names.stream().filter(n -> n.contains("/by-primary/")).findFirst()
        .orElseThrow();
    assertTrue(marker.matches("layout-a/by-primary/[0-9a-f]{64}/[0-9]{20}-" + r.id()), marker);
    assertEquals(r.toBytes().length, raw.getBlobClient("layout-a/records/" + r.id())
        .getProperties().getBlobSize());
  }

  @Test
  void markerWithoutRecord_isIgnored_andRecordWithoutMarker_isReadableButNotJoinable() {
    BlobDataKeyStore store = store("layout-b/");
    KeyReference v1 = BlobDataKeyStoreFailureIT.V1;
    DataKeyRecord older = BlobDataKeyStoreFailureIT.record(v1, T0);
    store.create(older).orElseThrow();
    // A crash after a newer record's marker was written but its record was not (or an operator
    // deleted the record): the marker names nothing.
    DataKeyRecord ghost = BlobDataKeyStoreFailureIT.record(v1, T0.plusSeconds(10));
    raw.getBlobClient(new DataKeyBlobNames("layout-b/").marker(ghost))
        .upload(BinaryData.fromBytes(new byte[0]));
    assertEquals(Optional.of(older), store.newestWritable("azure-keyvault", v1, T0)
        .map(StoredDataKey::record));
    // A crash between a newer record's write and its marker's: readable, not joinable.
    DataKeyRecord unindexed = BlobDataKeyStoreFailureIT.record(v1, T0.plusSeconds(20));
    raw.getBlobClient("layout-b/records/" + unindexed.id())
        .upload(BinaryData.fromBytes(unindexed.toBytes()));
    assertEquals(Optional.of(unindexed), store.read(unindexed.id()).map(StoredDataKey::record));
    assertEquals(Optional.of(older), store.newestWritable("azure-keyvault", v1, T0)
        .map(StoredDataKey::record));
    assertEquals(List.of(older.id(), unindexed.id()).stream().sorted().toList(),
        store.page(null, 10).stream().map(s -> s.record().id()).toList(),
        "page lists the record blobs: not markers, not the ghost");
  }

  @Test
  void replaceThatRetiresThePrimary_makesTheRecordJoinableUnderTheNewOne() {
    BlobDataKeyStore store = store("layout-c/");
    DataKeyRecord r = BlobDataKeyStoreFailureIT.record(BlobDataKeyStoreFailureIT.V1, T0);
    StoredDataKey created = store.create(r).orElseThrow();
    WrappedKey underV2 = new WrappedKey("azure-keyvault", V2, WrapAlgorithm.RSA_OAEP_256,
        new byte[256]);
    DataKeyRecord retired = r.withWrappings(List.of(underV2));
    store.replace(created.revision(), retired).orElseThrow();
    assertEquals(Optional.of(retired), store.newestWritable("azure-keyvault", V2, T0)
        .map(StoredDataKey::record));
    assertEquals(Optional.empty(), store.newestWritable("azure-keyvault",
        BlobDataKeyStoreFailureIT.V1, T0), "the old marker's record no longer has that primary");
  }

  @Test
  void page_afterAnId_isCorrectWhetherOrNotTheServiceHonoursStartFrom() {
    BlobDataKeyStore store = store("layout-d/");
    for (int i = 0; i < 5; i++) {
      store.create(BlobDataKeyStoreFailureIT.record(BlobDataKeyStoreFailureIT.V1, T0));
    }
    List<StoredDataKey> all = store.page(null, 10);
    assertEquals(5, all.size());
    List<StoredDataKey> rest = store.page(all.get(1).record().id(), 10);
    assertEquals(all.subList(2, 5), rest);
    boolean honoured = raw.listBlobs(new ListBlobsOptions().setPrefix("layout-d/records/")
        .setStartFrom("layout-d/records/" + all.get(1).record().id()), Duration.ofSeconds(10))
        .stream().count() < 5;
    System.out.println("BlobDataKeyStoreLayoutIT: List Blobs startFrom honoured by Azurite: "
        + honoured);
  }
}
