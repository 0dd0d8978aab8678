package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyReference;
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
    KeyReference key = a.createKey("shared-name", 2048);
    InMemoryKeyProvider b = InMemoryKeyProvider.builder().id("mem-b").build();
    b.createKey("shared-name", 2048);
    assertTrue(a.serves(key) && b.serves(key), "both claim local: references");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> EnvelopeCrypto.builder().provider(a).provider(b).writeKey(key).build());
    assertTrue(e.getMessage().contains("name one with writeKey(provider id, key)"), e.getMessage());
    EnvelopeCrypto named =
        EnvelopeCrypto.builder().provider(a).provider(b).writeKey("mem-a", key).build();
    assertEquals("mem-a", EnvelopeCrypto.inspect(named.encrypt(new byte[1])).providerId());
  }

  @Test
  void writeKeyAndKeyConfiguration_both_refused() {
    InMemoryKeyProvider p = TestKeys.provider();
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
    crypto.encrypt(new byte[10]);
    assertTrue(calls.get() >= 1, "the data key came from the supplied SecureRandom");
    assertThrows(
        IllegalStateException.class,
        () -> EnvelopeCrypto.builder().secureRandom(counting).secureRandom(counting));
  }

  @Test
  void encryptAndDecrypt_withoutAssociatedData_areBoundToEmptyAssociatedData() {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    byte[] plaintext = "no context".getBytes();
    byte[] envelope = crypto.encrypt(plaintext);
    assertArrayEquals(plaintext, crypto.decrypt(envelope));
    assertArrayEquals(plaintext, crypto.decrypt(envelope, new byte[0]));
    assertThrows(InvalidCiphertextException.class, () -> crypto.decrypt(envelope, new byte[] {0}));
  }
}
