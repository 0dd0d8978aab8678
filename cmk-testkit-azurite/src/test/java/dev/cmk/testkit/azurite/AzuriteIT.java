package dev.cmk.testkit.azurite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** The launcher starts a real Azurite that the real SDK talks to, and stops it. */
class AzuriteIT {
  @Test
  void start_servesTheRealSdk_andCloseStopsListening() {
    int port;
    try (Azurite azurite = Azurite.start()) {
      port = azurite.port();
      assertTrue(azurite.blobEndpoint().startsWith("http://127.0.0.1:" + port + "/"));
      String a = azurite.createContainer();
      String b = azurite.createContainer();
      assertNotEquals(a, b);
      BlobContainerClient client = azurite.client(a);
      client.getBlobClient("x").upload(BinaryData.fromString("hello"));
      assertEquals("hello", client.getBlobClient("x").downloadContent().toString());
      assertTrue(azurite.client(b).listBlobs().stream().findAny().isEmpty());
    }
    assertThrows(IOException.class, () -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      }
    });
  }

  @Test
  void shared_isOneServerPerJvm() {
    assertEquals(Azurite.shared().port(), Azurite.shared().port());
  }

  @Test
  void start_tooSmallMemoryLimit_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> Azurite.start(1));
  }
}
