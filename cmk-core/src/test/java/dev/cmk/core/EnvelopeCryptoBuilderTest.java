package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What the builder accepts, what it refuses, and that its settings take effect. */
class EnvelopeCryptoBuilderTest {

  @Test
  void writeKey_servedByNoConfiguredProvider_refusedAtBuild() {
    KeyReference elsewhere = KeyReference.parse("https://othervault.vault.azure.net/keys/k");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> EnvelopeCrypto.builder().provider(TestKeys.provider()).writeKey(elsewhere).build());
    assertTrue(e.getMessage().contains("no configured key provider serves"), e.getMessage());
  }

  @Test
  void writeKey_servedByTwoProviders_refusedUnlessOneIsNamed() {
    InMemoryKeyProvider a = InMemoryKeyProvider.builder().id("mem-a").build();
    KeyReference key = a.manager().createKey("shared-name", 2048);
    InMemoryKeyProvider b = InMemoryKeyProvider.builder().id("mem-b").build();
    b.manager().createKey("shared-name", 2048);
    assertTrue(a.serves(key) && b.serves(key), "both claim local: references");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> EnvelopeCrypto.builder().provider(a).provider(b).writeKey(key).build());
    assertTrue(e.getMessage().contains("name one with writeKey(provider id, key)"), e.getMessage());
    EnvelopeCrypto named =
        EnvelopeCrypto.builder().provider(a).provider(b).writeKey("mem-a", key).build();
    assertEquals("mem-a", EnvelopeInfo.of(named.encrypt(new byte[1], new byte[0])).providerId());
  }

  @Test
  void writeKeyAndKeyConfiguration_both_refused() {
    FaultInjectingProvider p = TestKeys.provider();
    KeyReference key = TestKeys.key();
    assertThrows(
        IllegalStateException.class,
        () ->
            EnvelopeCrypto.builder()
                .provider(p)
                .writeKey(key)
                .keyConfiguration(() -> new KeyConfiguration(p, key))
                .build());
  }

  @Test
  void secureRandom_supplied_isTheSourceOfDataKeysAndSetOnlyOnce() {
    AtomicInteger calls = new AtomicInteger();
    SecureRandom counting =
        new SecureRandom() {
          @Override
          public void nextBytes(byte[] bytes) {
            calls.incrementAndGet();
            super.nextBytes(bytes);
          }
        };
    EnvelopeCrypto crypto =
        EnvelopeCrypto.builder()
            .provider(TestKeys.provider())
            .writeKey(TestKeys.key())
            .secureRandom(counting)
            .build();
    crypto.encrypt(new byte[10], new byte[0]);
    assertTrue(calls.get() >= 1, "the data key came from the supplied SecureRandom");
    assertThrows(
        IllegalStateException.class,
        () -> EnvelopeCrypto.builder().secureRandom(counting).secureRandom(counting));
  }

  @Test
  void publicSurface_isTheOperationsKeyAccessKeyringRecordsDiagnosticsAndClose() {
    java.util.Set<String> methods = new java.util.TreeSet<>();
    for (java.lang.reflect.Method m : EnvelopeCrypto.class.getDeclaredMethods()) {
      if (java.lang.reflect.Modifier.isPublic(m.getModifiers())) {
        methods.add(m.getName() + "/" + m.getParameterCount());
      }
    }
    assertEquals(new java.util.TreeSet<>(java.util.List.of("builder/0", "encrypt/2",
        "decrypt/2", "encryptingStream/2", "decryptingStream/2", "rangeReader/2", "rewrap/1",
        "rewrap/2", "rewrapAll/2", "keyAccess/0", "keyring/0", "dataKeyRecords/0",
        "diagnostics/0", "close/0")), methods,
        "no overloads without associated data: binding an envelope to its row is a decision");
  }
}
