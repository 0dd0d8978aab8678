package dev.cmk.state.azureblob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import dev.cmk.core.LossCause;
import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetStateUnavailableException;
import dev.cmk.testkit.azurite.Azurite;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * When the store cannot answer — down, unreachable, hanging, refusing the credential, container
 * missing, blob not a state of the key — it throws {@link FleetStateUnavailableException} (never
 * "empty", never "written"), within the call timeout, with no secret in any message.
 */
class BlobFleetStateStoreFailureIT {
  private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
  private static final String KEY = "https://failure.vault.azure.net/keys/dicom-cmk";
  private static final FleetKeyState LOST =
      FleetKeyState.unavailable(0, T0, LossCause.KEY_DISABLED, T0, "a").refreshRequired(T0, "a");

  @RegisterExtension
  static final AzuriteContainer STORAGE = new AzuriteContainer();

  private static BlobFleetStateStore store(BlobContainerClient client, Duration timeout) {
    return BlobFleetStateStore.builder().containerClient(client).timeout(timeout).build();
  }

  /** Runs both operations, checks each fails as unavailable, returns the exceptions. */
  private static List<FleetStateUnavailableException> bothFail(BlobFleetStateStore store,
      String key, String revision) {
    List<FleetStateUnavailableException> failures = new ArrayList<>();
    failures.add(assertThrows(FleetStateUnavailableException.class, () -> store.read(key)));
    failures.add(assertThrows(FleetStateUnavailableException.class,
        () -> store.replace(key, revision, LOST)));
    return failures;
  }

  private static void assertNoSecret(List<FleetStateUnavailableException> failures,
      String... secrets) {
    for (FleetStateUnavailableException f : failures) {
      assertTrue(f.getMessage().contains(Azurite.ACCOUNT + "/"), f.getMessage());
      for (Throwable t = f; t != null; t = t.getCause()) {
        String text = String.valueOf(t.getMessage());
        for (String secret : secrets) {
          assertFalse(text.contains(secret), () -> "secret in: " + text);
        }
      }
    }
  }

  @Test
  void storeDown_readAndWrite_areUnavailableNotEmpty() {
    String key = KEY + "-down";
    BlobFleetStateStore store;
    String revision;
    try (Azurite own = Azurite.start()) {
      own.client(STORAGE.name()).create();
      store = store(own.client(STORAGE.name()), Duration.ofSeconds(5));
      revision = store.replace(key, null, LOST).orElseThrow().revision();
      assertEquals(LOST, store.read(key).orElseThrow().state());
    } // Azurite is killed here
    List<FleetStateUnavailableException> failures = bothFail(store, key, revision);
    assertNoSecret(failures, Azurite.ACCOUNT_KEY);
    assertTrue(failures.get(0).getMessage().contains("could not read the state of key " + key),
        failures.get(0).getMessage());
  }

  @Test
  void nothingListening_isUnavailableQuickly() throws IOException {
    BlobFleetStateStore store =
        store(STORAGE.clientOfNothingListening(), Duration.ofSeconds(5));
    assertNoSecret(bothFail(store, KEY, null), Azurite.ACCOUNT_KEY);
  }

  @Test
  void serverNeverAnswers_failsWithinTheCallTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      List<Socket> held = new ArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(silent.accept()); // accepts, reads nothing, answers nothing
          }
        } catch (IOException e) {
          // closed
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      BlobContainerClient client = new BlobContainerClientBuilder()
          .connectionString(Azurite.connectionString(silent.getLocalPort()))
          .containerName(STORAGE.name())
          .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, Duration.ofSeconds(30),
              null, null, null))
          .buildClient();
      BlobFleetStateStore store = store(client, Duration.ofMillis(500));
      long start = System.nanoTime();
      assertNoSecret(bothFail(store, KEY, "\"0x1\""), Azurite.ACCOUNT_KEY);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0,
          "two calls with a 500 ms timeout took " + took + " against a server that never answers"
          + " (the retry option alone would allow 30 s each)");
      for (Socket s : held) {
        s.close();
      }
    }
  }

  @Test
  void containerMissing_isUnavailableNotEmpty() {
    BlobFleetStateStore store =
        store(STORAGE.azurite().client("no-such-container"), Duration.ofSeconds(5));
    List<FleetStateUnavailableException> failures = bothFail(store, KEY, null);
    assertTrue(failures.get(0).getMessage().contains("HTTP 404 ContainerNotFound"),
        failures.get(0).getMessage());
    assertNoSecret(failures, Azurite.ACCOUNT_KEY);
  }

  @Test
  void wrongAccountKey_isUnavailableWithoutEitherKeyInAnyMessage() {
    BlobFleetStateStore store = store(STORAGE.clientWithWrongKey(), Duration.ofSeconds(5));
    List<FleetStateUnavailableException> failures = bothFail(store, KEY, null);
    assertTrue(failures.get(0).getMessage().contains("HTTP 403"), failures.get(0).getMessage());
    assertNoSecret(failures, Azurite.ACCOUNT_KEY, AzuriteContainer.WRONG_KEY);
  }

  @Test
  void sasToken_works_andATamperedOneFailsWithoutTheTokenInAnyMessage() {
    String sas = STORAGE.client().generateSas(new BlobServiceSasSignatureValues(
        OffsetDateTime.now().plusHours(1),
        BlobContainerSasPermission.parse("rcw")));
    String key = KEY + "-sas";
    BlobFleetStateStore good = store(new BlobContainerClientBuilder()
        .endpoint(STORAGE.azurite().blobEndpoint() + "/" + STORAGE.name()).sasToken(sas)
        .buildClient(),
        Duration.ofSeconds(5));
    good.replace(key, null, LOST).orElseThrow();
    assertEquals(LOST, good.read(key).orElseThrow().state());

    String sig = sas.replaceAll(".*sig=([^&]*).*", "$1");
    String tampered = sas.replace("sig=" + sig, "sig=" + "A".repeat(sig.length() - 3) + "%3D");
    BlobFleetStateStore bad = store(new BlobContainerClientBuilder()
        .endpoint(STORAGE.azurite().blobEndpoint() + "/" + STORAGE.name()).sasToken(tampered)
        .buildClient(),
        Duration.ofSeconds(5));
    assertNoSecret(bothFail(bad, key, null), sig, "A".repeat(sig.length() - 3));
  }

  @Test
  void blobThatIsNotAStateOfTheKey_isUnavailable_andNamedForTheOperator() {
    BlobContainerClient raw = STORAGE.client();
    BlobFleetStateStore store = store(STORAGE.client(), Duration.ofSeconds(5));
    String other = KEY + "-other";
    store.replace(other, null, LOST).orElseThrow();
    byte[] otherKeysBlob = raw.getBlobClient(store.blobName(other)).downloadContent().toBytes();
    List<byte[]> contents = List.of(
        "not json".getBytes(StandardCharsets.UTF_8),
        new byte[0],
        new byte[FleetStateJson.MAX_BYTES + 1],
        otherKeysBlob);
    int i = 0;
    for (byte[] content : contents) {
      String key = KEY + "-malformed-" + i++;
      raw.getBlobClient(store.blobName(key)).upload(BinaryData.fromBytes(content), true);
      FleetStateUnavailableException e =
          assertThrows(FleetStateUnavailableException.class, () -> store.read(key));
      assertTrue(e.getMessage().contains(store.blobName(key)), e.getMessage());
    }
  }

  @Test
  void afterAFailure_theSameStoreWorksAgain() {
    String key = KEY + "-recovers";
    try (Azurite own = Azurite.start()) {
      BlobContainerClient client = own.client(STORAGE.name());
      client.create();
      BlobFleetStateStore store = store(client, Duration.ofSeconds(5));
      client.delete();
      assertThrows(FleetStateUnavailableException.class, () -> store.read(key));
      client.create();
      assertEquals(Optional.empty(), store.read(key));
      store.replace(key, null, LOST).orElseThrow();
      assertEquals(LOST, store.read(key).orElseThrow().state());
    }
  }

}
