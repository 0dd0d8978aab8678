package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DicomStoreServerTest {
  @TempDir Path data;

  @Test
  void build_requiresCryptoAndDataDirectory() {
    assertEquals("crypto is required", assertThrows(IllegalStateException.class,
        () -> DicomStoreServer.builder().dataDirectory(data).build()).getMessage());
    try (EnvelopeCrypto crypto = decryptOnly()) {
      assertEquals("dataDirectory is required", assertThrows(IllegalStateException.class,
          () -> DicomStoreServer.builder().crypto(crypto).build()).getMessage());
    }
  }

  @Test
  void builder_rejectsBadAndRepeatedSettings() {
    DicomStoreServer.Builder b = DicomStoreServer.builder();
    assertEquals("dataDirectory", assertThrows(NullPointerException.class,
        () -> b.dataDirectory(null)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.port(65536));
    assertThrows(IllegalArgumentException.class, () -> b.maxThreads(7));
    assertThrows(IllegalArgumentException.class, () -> b.maxInstanceSize(131));
    assertThrows(IllegalArgumentException.class, () -> b.stopTimeout(Duration.ofSeconds(-1)));
    b.port(8080);
    assertEquals("port was already set",
        assertThrows(IllegalStateException.class, () -> b.port(8081)).getMessage());
  }

  @Test
  void port_beforeStart_isAnError_closeIsIdempotent() {
    try (EnvelopeCrypto crypto = decryptOnly()) {
      DicomStoreServer server = DicomStoreServer.builder().crypto(crypto).dataDirectory(data).build();
      assertThrows(IllegalStateException.class, server::port);
      server.close();
      server.close();
    }
  }

  private static EnvelopeCrypto decryptOnly() {
    return EnvelopeCrypto.builder().provider(InMemoryKeyProvider.create()).build();
  }
}
