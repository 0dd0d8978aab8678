package dev.cmk.state.azureblob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import dev.cmk.api.KeyReference;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.testkit.azurite.Azurite;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Builder, blob names and marker times of {@link BlobDataKeyStore}; no server. */
class BlobDataKeyStoreTest {
  private static final BlobContainerClient CLIENT = new BlobContainerClientBuilder()
      .connectionString(Azurite.connectionString(1))
      .containerName("records")
      .buildClient();
  private static final DataKeyId ID = DataKeyId.parse("ab".repeat(32));

  @Test
  void builder_settingTwiceOrMissingOrInvalid_isRefused() {
    assertThrows(IllegalStateException.class,
        () -> BlobDataKeyStore.builder().containerClient(CLIENT).containerClient(CLIENT));
    assertThrows(IllegalStateException.class,
        () -> BlobDataKeyStore.builder().blobPrefix("a/").blobPrefix("b/"));
    assertThrows(IllegalStateException.class, () -> BlobDataKeyStore.builder()
        .timeout(Duration.ofSeconds(1)).timeout(Duration.ofSeconds(2)));
    IllegalStateException missing =
        assertThrows(IllegalStateException.class, () -> BlobDataKeyStore.builder().build());
    assertTrue(missing.getMessage().contains("containerClient"));
    assertThrows(NullPointerException.class,
        () -> BlobDataKeyStore.builder().containerClient(null));
    assertThrows(IllegalArgumentException.class,
        () -> BlobDataKeyStore.builder().timeout(Duration.ZERO));
    for (String prefix : new String[] {"/abs", "a//b", "a b", "..\\x", "x".repeat(201), "é"}) {
      assertThrows(IllegalArgumentException.class,
          () -> BlobDataKeyStore.builder().blobPrefix(prefix), prefix);
    }
  }

  @Test
  void blobName_isPrefixRecordsId() {
    assertEquals("cmk-data-keys/records/" + ID.hex(),
        BlobDataKeyStore.builder().containerClient(CLIENT).build().blobName(ID));
    assertEquals("svc-a/records/" + ID.hex(), BlobDataKeyStore.builder().containerClient(CLIENT)
        .blobPrefix("svc-a/").build().blobName(ID));
  }

  @Test
  void markerTimes_sortNewestFirst_andParseBack() {
    List<Instant> times = List.of(Instant.ofEpochMilli(Long.MIN_VALUE), Instant.parse(
        "1969-12-31T23:59:59.999Z"), Instant.EPOCH, Instant.parse("2026-12-07T10:15:30.123Z"),
        Instant.parse("2026-12-07T10:15:30.124Z"), Instant.ofEpochMilli(Long.MAX_VALUE));
    List<String> names = new ArrayList<>();
    for (Instant t : times) {
      String name = DataKeyBlobNames.time(t) + "-" + ID.hex();
      assertEquals(20 + 1 + 64, name.length(), name);
      assertEquals(Optional.of(new DataKeyBlobNames.Marker(t, ID)),
          DataKeyBlobNames.parseMarker(name));
      names.add(name);
    }
    for (int i = 1; i < names.size(); i++) {
      assertTrue(names.get(i).compareTo(names.get(i - 1)) < 0, "newer sorts first: " + names);
    }
    for (String bad : new String[] {"", "x", DataKeyBlobNames.time(Instant.EPOCH) + "-x",
        "1".repeat(21) + "-" + ID.hex(), "99999999999999999999-" + ID.hex().toUpperCase()}) {
      assertEquals(Optional.empty(), DataKeyBlobNames.parseMarker(bad), bad);
    }
  }

  @Test
  void markers_ofDistinctPrimaries_areDistinctFolders() {
    DataKeyBlobNames names = new DataKeyBlobNames("p/");
    String key = "https://vault-a.vault.azure.net/keys/k/";
    KeyReference v1 = KeyReference.parse(key + "1".repeat(32));
    KeyReference v2 = KeyReference.parse(key + "2".repeat(32));
    String a = names.markers("azure-keyvault", v1);
    assertTrue(a.matches("p/by-primary/[0-9a-f]{64}/"), a);
    assertTrue(!a.equals(names.markers("azure-keyvault", v2)));
    assertTrue(!a.equals(names.markers("azure-mhsm", v1)));
  }
}
