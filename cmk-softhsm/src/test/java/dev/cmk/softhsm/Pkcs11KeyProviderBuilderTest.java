package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.spi.SecretSource;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builder validation; nothing here needs a token. */
class Pkcs11KeyProviderBuilderTest {
  private static final SecretSource PIN = SecretSource.ofCallback("1234"::toCharArray);

  @TempDir Path dir;

  @Test
  void build_withoutLibrary_illegalStateNamingSetting() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> Pkcs11KeyProvider.builder().tokenLabel("cmk").pin(PIN).build());
    assertEquals("library is required", e.getMessage());
  }

  @Test
  void build_withoutPin_illegalStateNamingSetting() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> Pkcs11KeyProvider.builder().library(dir.resolve("lib.so")).tokenLabel("cmk").build());
    assertEquals("pin is required", e.getMessage());
  }

  @Test
  void build_withoutOrWithTwoTokenSelectors_illegalState() {
    IllegalStateException none =
        assertThrows(
            IllegalStateException.class,
            () -> Pkcs11KeyProvider.builder().library(dir.resolve("lib.so")).pin(PIN).build());
    assertTrue(none.getMessage().contains("exactly one of tokenLabel, tokenSerial and slotId"));
    assertThrows(
        IllegalStateException.class,
        () ->
            Pkcs11KeyProvider.builder()
                .library(dir.resolve("lib.so"))
                .pin(PIN)
                .tokenLabel("cmk")
                .slotId(1)
                .build());
  }

  @Test
  void build_missingLibraryFile_illegalStateNamingPath() {
    Path lib = dir.resolve("no-such-pkcs11.so");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> Pkcs11KeyProvider.builder().library(lib).tokenLabel("cmk").pin(PIN).build());
    assertTrue(e.getMessage().contains(lib.toString()), e.getMessage());
  }

  @Test
  void setters_nullArguments_nullPointerNamingParameter() {
    Pkcs11KeyProviderBuilder b = Pkcs11KeyProvider.builder();
    assertEquals("library", assertThrows(NullPointerException.class, () -> b.library(null)).getMessage());
    assertEquals("tokenLabel", assertThrows(NullPointerException.class, () -> b.tokenLabel(null)).getMessage());
    assertEquals("tokenSerial", assertThrows(NullPointerException.class, () -> b.tokenSerial(null)).getMessage());
    assertEquals("pin", assertThrows(NullPointerException.class, () -> b.pin(null)).getMessage());
    assertEquals("oaepFallback", assertThrows(NullPointerException.class, () -> b.oaepFallback(null)).getMessage());
    assertEquals("timeout", assertThrows(NullPointerException.class, () -> b.sessionAcquireTimeout(null)).getMessage());
    assertEquals("ttl", assertThrows(NullPointerException.class, () -> b.keyStateCacheTtl(null)).getMessage());
    assertEquals("clock", assertThrows(NullPointerException.class, () -> b.clock(null)).getMessage());
  }

  @Test
  void setters_outOfRangeValues_illegalArgument() {
    Pkcs11KeyProviderBuilder b = Pkcs11KeyProvider.builder();
    assertThrows(IllegalArgumentException.class, () -> b.tokenLabel(""));
    assertThrows(IllegalArgumentException.class, () -> b.tokenLabel("x".repeat(33)));
    assertThrows(IllegalArgumentException.class, () -> b.slotId(-1));
    assertThrows(IllegalArgumentException.class, () -> b.maxSessions(0));
    assertThrows(IllegalArgumentException.class, () -> b.maxSessions(1025));
    assertThrows(IllegalArgumentException.class, () -> b.sessionAcquireTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> b.keyStateCacheTtl(Duration.ofSeconds(-1)));
  }

  @Test
  void setters_secondCall_illegalStateNamingSetting() {
    Pkcs11KeyProviderBuilder b =
        Pkcs11KeyProvider.builder()
            .library(dir.resolve("lib.so"))
            .tokenLabel("cmk")
            .pin(PIN)
            .maxSessions(2)
            .oaepFallback(OaepFallback.NATIVE_OAEP_SHA1)
            .sessionAcquireTimeout(Duration.ofSeconds(1))
            .keyStateCacheTtl(Duration.ZERO)
            .clock(Clock.systemUTC())
            .slotId(3);
    assertEquals(
        "library is already set",
        assertThrows(IllegalStateException.class, () -> b.library(dir.resolve("other.so"))).getMessage());
    assertEquals(
        "tokenLabel is already set",
        assertThrows(IllegalStateException.class, () -> b.tokenLabel("other")).getMessage());
    assertThrows(IllegalStateException.class, () -> b.pin(PIN));
    assertThrows(IllegalStateException.class, () -> b.maxSessions(4));
    assertThrows(IllegalStateException.class, () -> b.oaepFallback(OaepFallback.RAW_RSA_WITH_SOFTWARE_OAEP));
    assertThrows(IllegalStateException.class, () -> b.sessionAcquireTimeout(Duration.ofSeconds(2)));
    assertThrows(IllegalStateException.class, () -> b.keyStateCacheTtl(Duration.ofSeconds(2)));
    assertThrows(IllegalStateException.class, () -> b.clock(Clock.systemUTC()));
    assertThrows(IllegalStateException.class, () -> b.slotId(4));
    assertThrows(IllegalStateException.class, () -> b.tokenSerial("s").tokenSerial("t"));
  }
}
