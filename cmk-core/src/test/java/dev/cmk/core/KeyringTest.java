package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Keys over time and space: several providers of one kind (two "vaults" with one provider id)
 * coexist; a move of the write key keeps old envelopes readable until the key is retired.
 */
class KeyringTest {
  private static final byte[] AAD = "Patient/1/1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);
  private static final String KIND = "vault";

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider backendA =
      InMemoryKeyProvider.builder().id(KIND).clock(clock).build();
  private final InMemoryKeyProvider backendB =
      InMemoryKeyProvider.builder().id(KIND).clock(clock).build();
  private final Vault vaultA = new Vault(backendA, "a-");
  private final Vault vaultB = new Vault(backendB, "b-");
  private final KeyReference keyA = backendA.manager().createKey("a-patients", 2048).versionless();
  private final KeyReference keyB = backendB.manager().createKey("b-patients", 2048).versionless();
  private final AtomicReference<KeyConfiguration> config =
      new AtomicReference<>(new KeyConfiguration(vaultA, keyA));

  private EnvelopeCrypto crypto() {
    return EnvelopeCrypto.builder().keyConfiguration(config::get).clock(clock)
        .sleeper(clock::advance).build();
  }

  private List<byte[]> write(EnvelopeCrypto crypto, int n) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(crypto.encrypt(DATA, AAD));
    }
    return out;
  }

  @Test
  void moveToAKeyInAnotherVaultOfTheSameKind_oldEnvelopesStayReadable_newOnesUseTheNewVault() {
    EnvelopeCrypto crypto = crypto();
    List<byte[]> old = write(crypto, 20);
    config.set(new KeyConfiguration(vaultB, keyB));
    crypto.keyAccess().refresh();

    for (byte[] e : old) {
      assertArrayEquals(DATA, crypto.decrypt(e, AAD));
    }
    byte[] fresh = crypto.encrypt(DATA, AAD);
    assertTrue(keyB.sameKeyAs(EnvelopeInfo.of(fresh).keyReference()), "written under vault B");
    assertEquals(KIND, EnvelopeInfo.of(fresh).providerId());
    assertEquals(Set.of(keyA), crypto.keyring().decryptOnlyKeys());
    assertEquals(Optional.of(keyB), crypto.keyring().writeKey());
  }

  @Test
  void retiredKey_refusedBeforeAnyProviderCall_itsCachedDataKeysDestroyed_keepReadableUndoes() {
    EnvelopeCrypto crypto = crypto();
    byte[] old = crypto.encrypt(DATA, AAD);
    config.set(new KeyConfiguration(vaultB, keyB));
    crypto.keyAccess().refresh();
    byte[] fresh = crypto.encrypt(DATA, AAD);
    crypto.decrypt(old, AAD);
    long cachedBefore = crypto.diagnostics().cachedDataKeys();

    crypto.keyring().retire(keyA);
    long calls = vaultA.calls;
    assertThrows(KeyNotFoundException.class, () -> crypto.decrypt(old, AAD));
    assertEquals(calls, vaultA.calls,
        "a retired key costs no provider call");
    assertEquals(cachedBefore - 1, crypto.diagnostics().cachedDataKeys(),
        "the retired key's cached data key was destroyed, the others stay");
    assertEquals(Set.of(keyA), crypto.keyring().retiredKeys());
    assertTrue(crypto.keyring().decryptOnlyKeys().isEmpty());
    assertArrayEquals(DATA, crypto.decrypt(fresh, AAD));

    crypto.keyring().keepReadable(keyA);
    assertArrayEquals(DATA, crypto.decrypt(old, AAD));
  }

  @Test
  void writeKey_cannotBeRetired() {
    EnvelopeCrypto crypto = crypto();
    assertThrows(IllegalArgumentException.class, () -> crypto.keyring().retire(keyA));
  }

  @Test
  void newIdentityForTheSameVault_takesPrecedenceForItsKeys() {
    EnvelopeCrypto crypto = crypto();
    byte[] old = crypto.encrypt(DATA, AAD);
    Vault sameVaultNewIdentity = new Vault(backendA, "a-");
    config.set(new KeyConfiguration(sameVaultNewIdentity, keyA));
    crypto.keyAccess().refresh();
    crypto.diagnostics().purgeDataKeys();
    long before = sameVaultNewIdentity.unwraps;
    assertArrayEquals(DATA, crypto.decrypt(old, AAD));
    assertEquals(before + 1, sameVaultNewIdentity.unwraps, "the refreshed provider is used");
    assertTrue(crypto.keyring().decryptOnlyKeys().isEmpty(), "same key: nothing moved");
  }

  @Test
  void decryptOnlyKeysDeclaredAtBuild_areListed() {
    EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(vaultA).provider(vaultB)
        .writeKey(KIND, keyB).decryptOnlyKeys(List.of(keyA)).clock(clock).build();
    assertEquals(Set.of(keyA), crypto.keyring().decryptOnlyKeys());
  }

  /** A vault of one kind: serves only the keys whose name starts with its prefix. */
  private static final class Vault implements KeyEncryptionKeyProvider {
    private final InMemoryKeyProvider backend;
    private final String prefix;
    long unwraps;
    long calls; // describe + unwrap

    Vault(InMemoryKeyProvider backend, String prefix) {
      this.backend = backend;
      this.prefix = prefix;
    }

    @Override
    public String id() {
      return KIND;
    }

    @Override
    public boolean serves(KeyReference reference) {
      return backend.serves(reference) && reference.toString().startsWith("local:" + prefix);
    }

    @Override
    public KeyDescription describe(KeyReference reference) {
      calls++;
      return backend.describe(reference);
    }

    @Override
    public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
      return backend.wrap(reference, dataKey);
    }

    @Override
    public SecretBytes unwrap(WrappedKey wrappedKey) {
      unwraps++;
      calls++;
      return backend.unwrap(wrappedKey);
    }

    @Override
    public Optional<PublicKey> publicKey(KeyReference reference) {
      return backend.publicKey(reference);
    }
  }
}
