package dev.cmk.azureblob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The builder: required settings, set-once, bounds; build() makes no network call. */
class EnvelopeBlobClientBuilderTest {
  private final InMemoryKeyProvider provider = InMemoryKeyProvider.create();
  private final EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(provider)
      .writeKey(provider.manager().createKey("k", 2048).versionless()).build();
  // Nothing listens on port 1: build() must not call it.
  private final BlobContainerClient container = new BlobContainerClientBuilder()
      .endpoint("http://127.0.0.1:1/devstoreaccount1/c").buildClient();

  @Test
  void build_withoutCryptoOrContainer_isIllegalState() {
    assertEquals("crypto is required", assertThrows(IllegalStateException.class,
        () -> EnvelopeBlobClient.builder().container(container).build()).getMessage());
    assertEquals("container is required", assertThrows(IllegalStateException.class,
        () -> EnvelopeBlobClient.builder().crypto(crypto).build()).getMessage());
  }

  @Test
  void settings_setTwice_areIllegalState() {
    EnvelopeBlobClientBuilder b = EnvelopeBlobClient.builder().crypto(crypto).container(container)
        .blockSize(1 << 20).maxConcurrency(2);
    assertThrows(IllegalStateException.class, () -> b.crypto(crypto));
    assertThrows(IllegalStateException.class, () -> b.container(container));
    assertThrows(IllegalStateException.class, () -> b.blockSize(1 << 20));
    assertThrows(IllegalStateException.class, () -> b.maxConcurrency(2));
  }

  @Test
  void bounds_outsideTheLimits_areIllegalArguments() {
    EnvelopeBlobClientBuilder b = EnvelopeBlobClient.builder();
    assertThrows(IllegalArgumentException.class, () -> b.blockSize(64 * 1024 - 1));
    assertThrows(IllegalArgumentException.class, () -> b.blockSize(100 * 1024 * 1024 + 1));
    assertThrows(IllegalArgumentException.class, () -> b.maxConcurrency(0));
    assertThrows(IllegalArgumentException.class, () -> b.maxConcurrency(33));
    assertThrows(NullPointerException.class, () -> b.crypto(null));
  }

  @Test
  void close_shutsDownOnlyItsOwnExecutor() {
    ExecutorService mine = Executors.newSingleThreadExecutor();
    try {
      EnvelopeBlobClient.builder().crypto(crypto).container(container).executor(mine).build()
          .close();
      assertTrue(!mine.isShutdown(), "an executor given to the builder belongs to the caller");
    } finally {
      mine.shutdown();
    }
    try (EnvelopeBlobClient c = EnvelopeBlobClient.builder().crypto(crypto).container(container)
        .build()) {
      assertTrue(c.toString().contains("/devstoreaccount1/c"), c.toString());
    }
  }
}
