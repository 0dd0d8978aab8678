package dev.cmk.state.azureblob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.storage.blob.BlobContainerClient;
import dev.cmk.core.LossCause;
import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetRecord;
import dev.cmk.testkit.azurite.Azurite;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two replicas, each with its own container client and HTTP client, racing on one key's blob: the
 * ETag conditions decide, at Azurite, exactly as Azure Storage does.
 */
class BlobFleetStateStoreRaceIT {
  private static final Instant T0 = Instant.parse("2026-12-07T10:00:00.000001Z");
  private static final String KEY = "https://race.vault.azure.net/keys/dicom-cmk";

  private static BlobContainerClient clientA;
  private static BlobFleetStateStore replicaA;
  private static BlobFleetStateStore replicaB;

  @BeforeAll
  static void replicas() {
    Azurite azurite = Azurite.shared();
    String container = azurite.createContainer();
    clientA = azurite.client(container);
    replicaA = BlobFleetStateStore.builder().containerClient(clientA).build();
    replicaB = BlobFleetStateStore.builder().containerClient(azurite.client(container)).build();
  }

  @Test
  void replace_bothCreateTheFirstRecord_oneWinsWithIfNoneMatch() {
    String key = KEY + "-create";
    assertEquals(Optional.empty(), replicaA.read(key));
    assertEquals(Optional.empty(), replicaB.read(key));
    FleetKeyState lossA = FleetKeyState.unavailable(0, T0, LossCause.KEY_DISABLED, T0, "a");
    FleetKeyState lossB =
        FleetKeyState.unavailable(0, T0.plusSeconds(2), LossCause.KEY_DISABLED, T0, "b");
    FleetRecord won = replicaA.replace(key, null, lossA).orElseThrow();
    assertEquals(Optional.empty(), replicaB.replace(key, null, lossB));
    FleetRecord seenByB = replicaB.read(key).orElseThrow();
    assertEquals(won, seenByB);
    assertEquals(T0, seenByB.state().lostSince(), "both agree on A's loss start");
  }

  @Test
  void replace_staleEtag_losesAndRereadGivesTheWinner() {
    String key = KEY + "-stale";
    FleetRecord base =
        replicaA.replace(key, null, FleetKeyState.available(4, T0, "a")).orElseThrow();
    FleetRecord readByA = replicaA.read(key).orElseThrow();
    FleetRecord readByB = replicaB.read(key).orElseThrow();
    assertEquals(base.revision(), readByA.revision());
    assertEquals(base.revision(), readByB.revision());

    FleetKeyState refreshByB = FleetKeyState.available(5, T0.plusSeconds(60), "b");
    FleetRecord bWrote = replicaB.replace(key, readByB.revision(), refreshByB).orElseThrow();
    FleetKeyState lossByA =
        FleetKeyState.unavailable(4, T0.plusSeconds(61), LossCause.KEY_DISABLED, T0, "a");
    assertEquals(Optional.empty(), replicaA.replace(key, readByA.revision(), lossByA));

    FleetRecord now = replicaA.read(key).orElseThrow();
    assertEquals(bWrote, now);
    assertEquals(5, now.state().generation());
    FleetRecord aRetried = replicaA.replace(key, now.revision(), FleetKeyState.unavailable(5,
        T0.plusSeconds(62), LossCause.KEY_DISABLED, T0.plusSeconds(62), "a")).orElseThrow();
    assertEquals(aRetried, replicaB.read(key).orElseThrow());
  }

  @Test
  void revision_isTheBlobsEtag() {
    String key = KEY + "-etag";
    FleetRecord written =
        replicaA.replace(key, null, FleetKeyState.available(0, T0, "a")).orElseThrow();
    String etag = clientA.getBlobClient(replicaA.blobName(key)).getProperties().getETag();
    assertEquals(etag, written.revision());
    assertTrue(replicaA.blobName(key).matches("cmk-fleet-state/[0-9a-f]{64}\\.json"));
  }

  @Test
  void replace_blobDeletedSinceRead_isALostRaceNotAnError() {
    String key = KEY + "-deleted";
    FleetRecord base =
        replicaA.replace(key, null, FleetKeyState.available(0, T0, "a")).orElseThrow();
    clientA.getBlobClient(replicaA.blobName(key)).delete();
    assertEquals(Optional.empty(),
        replicaB.replace(key, base.revision(), FleetKeyState.available(1, T0, "b")));
    assertEquals(Optional.empty(), replicaB.read(key));
  }

  @Test
  void blobPrefix_separatesFleetsInOneContainer() {
    String key = KEY + "-prefix";
    BlobFleetStateStore otherService = BlobFleetStateStore.builder()
        .containerClient(Azurite.shared().client(clientA.getBlobContainerName()))
        .blobPrefix("fhir-prod/")
        .build();
    replicaA.replace(key, null, FleetKeyState.available(9, T0, "a")).orElseThrow();
    assertEquals(Optional.empty(), otherService.read(key));
    otherService.replace(key, null, FleetKeyState.available(1, T0, "f")).orElseThrow();
    assertEquals(9, replicaB.read(key).orElseThrow().state().generation());
    assertEquals(1, otherService.read(key).orElseThrow().state().generation());
  }
}
