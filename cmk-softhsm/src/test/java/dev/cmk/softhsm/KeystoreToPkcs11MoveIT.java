package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.core.KeyConfiguration;
import dev.cmk.core.KeyPolicy;
import dev.cmk.keystore.KeystoreKeyProvider;
import dev.cmk.softhsm.CmkOnToken.Written;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A move from a local PKCS#12 keystore key (cmk-keystore) to a key generated in a real SoftHSM2
 * token, through the documented path: the application's {@link KeyConfiguration} supplier names
 * the token key, {@link dev.cmk.core.KeyAccessGuard#refresh()} applies it. Every envelope written
 * under the keystore key stays readable through the keystore provider, new envelopes are wrapped
 * in the token; a restarted instance lists the old key with {@link
 * EnvelopeCryptoBuilder#decryptOnlyKeys} (and configures its provider) and still reads; retiring
 * the old key refuses its envelopes with {@link KeyNotFoundException} before any provider call.
 *
 * <p>Lives in cmk-softhsm's tests with cmk-keystore as a test dependency: both provider modules
 * depend on cmk-api only, so the test edge adds no cycle, and the PKCS#11 side needs the Failsafe
 * set-up (SOFTHSM2_CONF, library path) this module already has. Both presets' policy ({@link
 * KeyPolicy#dicomService()}) holds for both keys, as it would in production.
 */
class KeystoreToPkcs11MoveIT {
  private static SoftHsm.TestToken token;

  @TempDir Path dir;
  private final ManualClock clock = ManualClock.create();
  private KeystoreKeyProvider keystore;
  private Pkcs11KeyProvider pkcs11;
  private FaultInjectingProvider countedKeystore;
  private FaultInjectingProvider countedToken;
  private final List<EnvelopeCrypto> opened = new ArrayList<>();

  @BeforeAll
  static void createToken() {
    token = SoftHsm.createToken("move-it");
  }

  @BeforeEach
  void providers() {
    keystore = KeystoreKeyProvider.builder()
        .path(dir.resolve("keys.p12"))
        .password("test-only-keystore-password"::toCharArray)
        .create(true)
        .clock(clock)
        .build();
    pkcs11 = token.provider().clock(clock).build();
    countedKeystore = FaultInjectingProvider.wrapping(keystore);
    countedToken = FaultInjectingProvider.wrapping(pkcs11);
  }

  @AfterEach
  void close() {
    for (EnvelopeCrypto c : opened) {
      c.close();
    }
    pkcs11.close();
    keystore.close();
  }

  private EnvelopeCrypto open(EnvelopeCryptoBuilder builder) {
    EnvelopeCrypto crypto =
        builder.keyPolicy(KeyPolicy.dicomService()).clock(clock).sleeper(clock::advance).build();
    opened.add(crypto);
    return crypto;
  }

  private static List<Written> write(EnvelopeCrypto crypto, String prefix, int count) {
    List<Written> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(Written.encrypt(crypto, prefix + "/" + i, 100 + 4096 * i));
    }
    return out;
  }

  @Test
  void refresh_keyMovedFromKeystoreToToken_oldEnvelopesReadableNewOnesInTokenRetireRefusesOld() {
    KeyReference localKey =
        keystore.keyManager().orElseThrow().createKey("move-kek", 3072).versionless();
    KeyReference hsmKey = pkcs11.manager().createKey("move-kek", 2048).versionless();
    AtomicReference<KeyConfiguration> config =
        new AtomicReference<>(new KeyConfiguration(countedKeystore, localKey));
    EnvelopeCrypto crypto = open(EnvelopeCrypto.builder().keyConfiguration(config::get));
    List<Written> old = write(crypto, "before-move", 12);
    for (Written w : old) {
      EnvelopeInfo info = EnvelopeInfo.of(w.envelope);
      assertEquals(KeystoreKeyProvider.ID, info.providerId(), w.id);
      assertTrue(localKey.sameKeyAs(info.keyReference()), w.id);
    }
    assertEquals(0, countedToken.count(Operation.WRAP), "nothing reached the token before the move");

    config.set(new KeyConfiguration(countedToken, hsmKey));
    KeyAccessStatus refreshed = crypto.keyAccess().refresh();

    assertEquals(KeyAccessState.AVAILABLE, refreshed.state());
    assertEquals(hsmKey, refreshed.configuredKey());
    assertEquals(hsmKey, crypto.keyring().writeKey().orElseThrow());
    assertEquals(Set.of(localKey), crypto.keyring().decryptOnlyKeys());
    crypto.diagnostics().purgeDataKeys(); // every old read below unwraps through the keystore
    long keystoreUnwraps = countedKeystore.count(Operation.UNWRAP);
    long tokenUnwraps = countedToken.count(Operation.UNWRAP);
    for (Written w : old) {
      w.assertDecrypts(crypto);
    }
    assertTrue(countedKeystore.count(Operation.UNWRAP) > keystoreUnwraps,
        "old envelopes were unwrapped by the keystore provider");
    assertEquals(tokenUnwraps, countedToken.count(Operation.UNWRAP),
        "the token was not asked for keystore envelopes");

    long keystoreWraps = countedKeystore.count(Operation.WRAP);
    List<Written> fresh = write(crypto, "after-move", 6);
    for (Written w : fresh) {
      EnvelopeInfo info = EnvelopeInfo.of(w.envelope);
      assertEquals(Pkcs11KeyProvider.ID, info.providerId(), w.id);
      assertTrue(hsmKey.sameKeyAs(info.keyReference()), w.id + ": " + info.keyReference());
      w.assertDecrypts(crypto);
    }
    assertTrue(countedToken.count(Operation.WRAP) > 0, "new data keys are wrapped in the token");
    assertEquals(keystoreWraps, countedKeystore.count(Operation.WRAP),
        "nothing is wrapped under the keystore key after the move");

    // Retirement is deliberate: the write key cannot be retired, the old one can.
    assertThrows(IllegalArgumentException.class, () -> crypto.keyring().retire(hsmKey));
    crypto.keyring().retire(localKey);
    assertEquals(Set.of(localKey), crypto.keyring().retiredKeys());
    long keystoreCalls = CmkOnToken.providerCalls(countedKeystore);
    for (Written w : old) {
      assertThrows(KeyNotFoundException.class, () -> w.assertDecrypts(crypto), w.id);
    }
    assertEquals(keystoreCalls, CmkOnToken.providerCalls(countedKeystore),
        "a retired key is refused before any provider call (its cached data keys are gone)");
    for (Written w : fresh) {
      w.assertDecrypts(crypto);
    }
    crypto.keyring().keepReadable(localKey);
    old.get(0).assertDecrypts(crypto);
  }

  @Test
  void restart_afterMove_decryptOnlyKeyListedAndReadableUntilRetired() {
    KeyReference localKey =
        keystore.keyManager().orElseThrow().createKey("restart-kek", 3072).versionless();
    KeyReference hsmKey = pkcs11.manager().createKey("restart-kek", 3072).versionless();
    AtomicReference<KeyConfiguration> config =
        new AtomicReference<>(new KeyConfiguration(countedKeystore, localKey));
    EnvelopeCrypto before = open(EnvelopeCrypto.builder().keyConfiguration(config::get));
    List<Written> old = write(before, "before-move", 8);
    config.set(new KeyConfiguration(countedToken, hsmKey));
    assertEquals(KeyAccessState.AVAILABLE, before.keyAccess().refresh().state());
    List<Written> fresh = write(before, "after-move", 4);
    before.close();

    // Restarted without the old key's provider: its envelopes name a key no provider serves.
    EnvelopeCrypto forgetful = open(EnvelopeCrypto.builder()
        .keyConfiguration(() -> new KeyConfiguration(countedToken, hsmKey)));
    long keystoreCalls = CmkOnToken.providerCalls(countedKeystore);
    assertThrows(KeyNotFoundException.class, () -> old.get(0).assertDecrypts(forgetful));
    assertEquals(keystoreCalls, CmkOnToken.providerCalls(countedKeystore));
    fresh.get(0).assertDecrypts(forgetful);
    forgetful.close();

    // Restarted as documented: the old key listed as decrypt-only, its provider configured.
    EnvelopeCrypto restarted = open(EnvelopeCrypto.builder()
        .provider(countedKeystore)
        .keyConfiguration(() -> new KeyConfiguration(countedToken, hsmKey))
        .decryptOnlyKeys(List.of(localKey)));
    assertEquals(Set.of(localKey), restarted.keyring().decryptOnlyKeys());
    assertEquals(hsmKey, restarted.keyring().writeKey().orElseThrow());
    long keystoreUnwraps = countedKeystore.count(Operation.UNWRAP);
    for (Written w : old) {
      w.assertDecrypts(restarted);
    }
    assertTrue(countedKeystore.count(Operation.UNWRAP) > keystoreUnwraps);
    for (Written w : fresh) {
      w.assertDecrypts(restarted);
    }
    Written next = Written.encrypt(restarted, "after-restart", 5000);
    assertEquals(Pkcs11KeyProvider.ID, EnvelopeInfo.of(next.envelope).providerId());
    assertTrue(hsmKey.sameKeyAs(EnvelopeInfo.of(next.envelope).keyReference()));

    restarted.keyring().retire(localKey);
    assertEquals(Set.of(), restarted.keyring().decryptOnlyKeys());
    KeyNotFoundException refused =
        assertThrows(KeyNotFoundException.class, () -> old.get(3).assertDecrypts(restarted));
    assertTrue(refused.getMessage().contains("retired"), refused.getMessage());
    next.assertDecrypts(restarted);
    fresh.get(1).assertDecrypts(restarted);
  }
}
