package dev.cmk.state.azureblob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetStateStore;
import dev.cmk.testkit.azurite.Azurite;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Builder, naming and argument checks; no server (building a client makes no call). */
class BlobFleetStateStoreTest {
  private static final BlobContainerClient CLIENT = new BlobContainerClientBuilder()
      .connectionString(Azurite.connectionString(1))
      .containerName("fleet")
      .buildClient();

  @Test
  void builder_settingTwice_isRefused() {
    assertThrows(IllegalStateException.class,
        () -> BlobFleetStateStore.builder().containerClient(CLIENT).containerClient(CLIENT));
    assertThrows(IllegalStateException.class,
        () -> BlobFleetStateStore.builder().blobPrefix("a/").blobPrefix("b/"));
    assertThrows(IllegalStateException.class, () -> BlobFleetStateStore.builder()
        .timeout(Duration.ofSeconds(1)).timeout(Duration.ofSeconds(2)));
  }

  @Test
  void builder_invalidOrMissingSettings_areRefusedWithTheirName() {
    IllegalStateException missing =
        assertThrows(IllegalStateException.class, () -> BlobFleetStateStore.builder().build());
    assertTrue(missing.getMessage().contains("containerClient"));
    assertThrows(NullPointerException.class,
        () -> BlobFleetStateStore.builder().containerClient(null));
    assertThrows(IllegalArgumentException.class,
        () -> BlobFleetStateStore.builder().timeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class,
        () -> BlobFleetStateStore.builder().timeout(Duration.ofSeconds(-1)));
    for (String prefix : new String[] {"/abs", "a//b", "a b", "..\\x", "x".repeat(201), "é"}) {
      assertThrows(IllegalArgumentException.class,
          () -> BlobFleetStateStore.builder().blobPrefix(prefix), prefix);
    }
  }

  @Test
  void blobName_isPrefixPlusSha256HexOfTheKeyId() {
    BlobFleetStateStore store = BlobFleetStateStore.builder().containerClient(CLIENT).build();
    // SHA-256("abc"), FIPS 180-2 example
    assertEquals("cmk-fleet-state/"
        + "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.json",
        store.blobName("abc"));
    assertNotEquals(store.blobName("https://v.vault.azure.net/keys/a"),
        store.blobName("https://v.vault.azure.net/keys/A"));
    BlobFleetStateStore bare =
        BlobFleetStateStore.builder().containerClient(CLIENT).blobPrefix("").build();
    assertTrue(bare.blobName("abc").startsWith("ba7816bf"));
  }

  @Test
  void keyIdsOutsideTheContract_areRefusedBeforeAnyCall() {
    BlobFleetStateStore store = BlobFleetStateStore.builder().containerClient(CLIENT).build();
    FleetKeyState s = FleetKeyState.available(0, Instant.EPOCH, "r");
    assertThrows(IllegalArgumentException.class, () -> store.read(""));
    assertThrows(IllegalArgumentException.class,
        () -> store.read("k".repeat(FleetStateStore.MAX_KEY_ID_LENGTH + 1)));
    assertThrows(IllegalArgumentException.class, () -> store.replace("a b", null, s));
    assertThrows(IllegalArgumentException.class, () -> store.replace("k", "", s));
    assertThrows(NullPointerException.class, () -> store.replace("k", null, null));
  }

  @Test
  void toString_namesAccountAndContainerButNoSecret() {
    String s = BlobFleetStateStore.builder().containerClient(CLIENT).build().toString();
    assertTrue(s.contains("devstoreaccount1/fleet"), s);
    assertFalse(s.contains(Azurite.ACCOUNT_KEY), s);
  }
}
