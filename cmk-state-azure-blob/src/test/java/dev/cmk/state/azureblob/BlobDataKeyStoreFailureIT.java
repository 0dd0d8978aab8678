package dev.cmk.state.azureblob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStoreUnavailableException;
import dev.cmk.core.datakey.StoredDataKey;
import dev.cmk.testkit.azurite.Azurite;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

/**
 * When storage cannot answer — down, nothing listening, container missing, credential refused —
 * every call throws {@link DataKeyStoreUnavailableException} (never "empty", never "written") with
 * no secret in any message; a blob that is not a record of its id is {@link
 * IllegalArgumentException}.
 */
class BlobDataKeyStoreFailureIT {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Instant T0 = Instant.parse("2026-12-07T10:15:30.123Z");
  static final KeyReference V1 =
      KeyReference.parse("https://failure.vault.azure.net/keys/k/" + "1".repeat(32));

  @RegisterExtension
  static final AzuriteContainer STORAGE = new AzuriteContainer();

  static DataKeyRecord record(KeyReference primary, Instant createdAt) {
    byte[] id = new byte[DataKeyId.LENGTH];
    RANDOM.nextBytes(id);
    byte[] ct = new byte[256];
    RANDOM.nextBytes(ct);
    return new DataKeyRecord(DataKeyId.of(id),
        List.of(new WrappedKey("azure-keyvault", primary, WrapAlgorithm.RSA_OAEP_256, ct)),
        createdAt, "failure-it", 1);
  }

  private static BlobDataKeyStore store(BlobContainerClient client) {
    return BlobDataKeyStore.builder().containerClient(client).timeout(Duration.ofSeconds(5))
        .build();
  }

  /** Every call fails as unavailable; the messages name the account and hold no secret. */
  private static List<DataKeyStoreUnavailableException> allFail(BlobDataKeyStore store,
      StoredDataKey existing, String... secrets) {
    DataKeyRecord r = existing.record();
    List<Executable> calls = List.of(
        () -> store.read(r.id()),
        () -> store.create(record(V1, T0)),
        () -> store.replace(existing.revision(), r.withOneMoreWriterSlot()),
        () -> store.newestWritable("azure-keyvault", V1, T0),
        () -> store.page(null, 10),
        () -> store.page(r.id(), 10));
    List<DataKeyStoreUnavailableException> failures = new ArrayList<>();
    for (Executable call : calls) {
      DataKeyStoreUnavailableException f =
          assertThrows(DataKeyStoreUnavailableException.class, call);
      assertTrue(f.getMessage().contains(Azurite.ACCOUNT + "/"), f.getMessage());
      for (Throwable t = f; t != null; t = t.getCause()) {
        String text = String.valueOf(t.getMessage());
        for (String secret : secrets) {
          assertFalse(text.contains(secret), () -> "secret in: " + text);
        }
      }
      failures.add(f);
    }
    return failures;
  }

  @Test
  void storageDown_everyCallIsUnavailableNotEmpty() {
    BlobDataKeyStore store;
    StoredDataKey existing;
    try (Azurite own = Azurite.start()) {
      own.client(STORAGE.name()).create();
      store = store(own.client(STORAGE.name()));
      existing = store.create(record(V1, T0)).orElseThrow();
      assertEquals(existing, store.read(existing.record().id()).orElseThrow());
    } // Azurite is killed here
    List<DataKeyStoreUnavailableException> failures =
        allFail(store, existing, Azurite.ACCOUNT_KEY);
    assertTrue(failures.get(0).getMessage().contains("could not read data-key record "
        + existing.record().id()), failures.get(0).getMessage());
  }

  @Test
  void nothingListening_isUnavailable() throws IOException {
    BlobDataKeyStore store =
        store(STORAGE.clientOfNothingListening());
    allFail(store, new StoredDataKey(record(V1, T0), "\"0x1\""), Azurite.ACCOUNT_KEY);
  }

  @Test
  void containerMissing_isUnavailableNotEmpty() {
    BlobDataKeyStore store = store(STORAGE.azurite().client("no-such-container"));
    List<DataKeyStoreUnavailableException> failures =
        allFail(store, new StoredDataKey(record(V1, T0), "\"0x1\""), Azurite.ACCOUNT_KEY);
    assertTrue(failures.get(0).getMessage().contains("HTTP 404 ContainerNotFound"),
        failures.get(0).getMessage());
  }

  @Test
  void wrongAccountKey_isUnavailableWithoutEitherKey() {
    BlobDataKeyStore store = store(STORAGE.clientWithWrongKey());
    List<DataKeyStoreUnavailableException> failures = allFail(store,
        new StoredDataKey(record(V1, T0), "\"0x1\""), Azurite.ACCOUNT_KEY,
        AzuriteContainer.WRONG_KEY);
    assertTrue(failures.get(0).getMessage().contains("HTTP 403"), failures.get(0).getMessage());
  }

  @Test
  void blobThatIsNotARecordOfItsId_isIllegalArgumentNamingTheBlob() {
    BlobContainerClient raw = STORAGE.client();
    BlobDataKeyStore store = store(raw);
    DataKeyRecord other = store.create(record(V1, T0)).orElseThrow().record();
    byte[] othersBytes = other.toBytes();
    List<byte[]> contents = List.of(new byte[] {1, 2, 3}, new byte[0],
        new byte[BlobDataKeyStore.MAX_RECORD_BYTES + 1], othersBytes);
    for (byte[] content : contents) {
      DataKeyId id = record(V1, T0).id();
      raw.getBlobClient(store.blobName(id)).upload(BinaryData.fromBytes(content), true);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> store.read(id));
      assertTrue(e.getMessage().contains(store.blobName(id)), e.getMessage());
    }
    assertEquals(Optional.of(other), store.read(other.id()).map(StoredDataKey::record));
  }
}
