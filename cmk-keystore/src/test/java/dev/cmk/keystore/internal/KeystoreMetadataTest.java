package dev.cmk.keystore.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.api.KeyOperation;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeystoreMetadataTest {

  private static KeystoreMetadata sample() {
    KeystoreMetadata.VersionEntry v1 =
        new KeystoreMetadata.VersionEntry(
            "00000001-0a1b2c3d", 2048, Instant.parse("2025-01-01T00:00:00Z"), false, null, null,
            Set.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY));
    KeystoreMetadata.VersionEntry v2 =
        new KeystoreMetadata.VersionEntry(
            "00000002-ffffffff", 3072, Instant.parse("2025-02-01T00:00:00.123Z"), true,
            Instant.parse("2025-02-02T00:00:00Z"), Instant.parse("2026-02-02T00:00:00Z"), Set.of());
    return KeystoreMetadata.empty(true, 90)
        .withNextCounter()
        .withNextCounter()
        .withKey(new KeystoreMetadata.KeyEntry("Patient-Data", null, List.of(v1, v2)))
        .withKey(
            new KeystoreMetadata.KeyEntry(
                "old", Instant.parse("2025-03-01T00:00:00Z"), List.of(v1)));
  }

  @Test
  void parse_whatToBytesWrote_returnsEqualMetadata() {
    KeystoreMetadata m = sample();
    assertEquals(m, KeystoreMetadata.parse(m.toBytes()));
  }

  @Test
  void parse_malformed_throwsIllegalArgument() {
    String good = new String(sample().toBytes(), StandardCharsets.UTF_8);
    for (String bad :
        List.of(
            "",
            "cmk-keystore-metadata 2\n",
            good.replace("bits=2048", "bits=x"),
            good.replace("enabled=true", "enabled=yes"),
            good.replace("ops=-", "ops=FLY"),
            good.replace("key old", "key o/ld"),
            good.replace("version old", "version ghost"),
            good.substring(0, good.length() - 1))) {
      assertThrows(
          IllegalArgumentException.class,
          () -> KeystoreMetadata.parse(bad.getBytes(StandardCharsets.UTF_8)),
          bad);
    }
  }
}
