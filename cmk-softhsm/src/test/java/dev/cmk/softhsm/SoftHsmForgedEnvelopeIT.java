package dev.cmk.softhsm;

import static dev.cmk.softhsm.CmkOnToken.PAST_PROBE_INTERVAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_DECRYPT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_UNWRAP;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_AES_KEY_GEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_PKCS;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_PKCS_KEY_PAIR_GEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_PKCS_OAEP;

import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.KeyAccessEvent;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyPolicy;
import dev.cmk.core.RewrapItem;
import dev.cmk.core.RewrapReport;
import dev.cmk.softhsm.CmkOnToken.Written;
import dev.cmk.softhsm.internal.Versions;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.ManualClock;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;

/**
 * Issue #10 item 3 on a real SoftHSM2 token: an envelope whose header names a key on the token
 * that this service may not unwrap with (a private key with {@code CKA_DECRYPT} false, objects of
 * the wrong type under the version's label and id, a key whose {@code CKA_ALLOWED_MECHANISMS}
 * exclude OAEP and raw RSA, a version that is gone) fails that request only, with an authoritative
 * {@link KeyAccessDeniedException} (or {@link KeyNotFoundException}). The guard of the {@link
 * EnvelopeCrypto} that writes under the configured key K stays {@code AVAILABLE} (also after the
 * re-confirmation of K one probe interval later and twenty more forgeries), its cached data keys
 * stay, envelopes under K still decrypt through the token, writes work and {@code rewrapAll} goes
 * on past the forged items. Repeats of a refused envelope within its back-off make no token call.
 *
 * <p>The forged envelopes are real envelopes: another provider on the same token wrote them under
 * key F while F was usable, then F was changed (the attacker cannot change keys; the token's state
 * is simply what it is when the envelope arrives).
 */
class SoftHsmForgedEnvelopeIT {
  private static final byte[] AAD = "row-17".getBytes(StandardCharsets.UTF_8);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final BigInteger F4 = BigInteger.valueOf(65537);
  /** For the forger only: software keys imported into the token are plain RSA keys. */
  private static final KeyPolicy ANY_RSA =
      KeyPolicy.builder()
          .name("forger")
          .keyTypes(KeyType.RSA, KeyType.RSA_HSM)
          .allowKeysWithoutDeletionProtection()
          .build();

  private static SoftHsm.TestToken token;

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeAll
  static void createToken() {
    token = SoftHsm.createToken("forged-it");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    toClose.clear();
  }

  @Test
  void decrypt_forgedEnvelopeKeyWithDecryptFalse_deniedForThatRequestOnlyGuardAvailable() {
    Service service = service(OaepFallback.RAW_RSA_WITH_SOFTWARE_OAEP);
    KeyReference f = service.admin.manager().createKey(unique("decrypt-off"), 2048);
    byte[] forged = service.writeWith(f).envelope;
    // SoftHSM2 lets the owner of a modifiable private key turn CKA_DECRYPT off: verified here.
    SoftHsm.withSession(
        service.admin,
        s -> {
          long h = privateKey(s, f);
          s.setAttributeValues(h, new AttributeVector().decrypt(false));
          AttributeVector a = s.getAttrValues(h, CKA_DECRYPT, CKA_UNWRAP);
          assertEquals(Boolean.FALSE, a.decrypt(), "CKA_DECRYPT is now false");
          assertEquals(Boolean.TRUE, a.unwrap(), "CKA_UNWRAP left as it was");
          return null;
        });

    KeyAccessDeniedException e = service.assertForgeryIsolated(forged, KeyAccessDeniedException.class);
    assertEquals(Reason.KEY_DISABLED, e.reason(), "CKA_DECRYPT false is a disabled version");
    assertEquals(Optional.of(f), e.keyReference());
  }

  @Test
  void decrypt_forgedEnvelopeKeyDisabledByKeyManager_deniedForThatRequestOnlyGuardAvailable() {
    Service service = service(OaepFallback.RAW_RSA_WITH_SOFTWARE_OAEP);
    KeyReference f = service.admin.manager().createKey(unique("disabled"), 2048);
    byte[] forged = service.writeWith(f).envelope;
    service.admin.manager().setEnabled(f, false); // CKA_DECRYPT and CKA_UNWRAP false

    KeyAccessDeniedException e = service.assertForgeryIsolated(forged, KeyAccessDeniedException.class);
    assertEquals(Reason.KEY_DISABLED, e.reason());
  }

  @Test
  void decrypt_forgedEnvelopeNamesSecretKeyObject_operationNotPermittedGuardAvailable() {
    Service service = service(OaepFallback.RAW_RSA_WITH_SOFTWARE_OAEP);
    KeyReference f = service.admin.manager().createKey(unique("wrong-type"), 2048);
    byte[] forged = service.writeWith(f).envelope;
    service.admin.manager().deleteKey(f);
    // An AES key now carries the version's label and id: an object of the wrong type.
    SoftHsm.withSession(
        service.admin,
        s ->
            s.generateKey(
                new Mechanism(CKM_AES_KEY_GEN),
                AttributeVector.newAESSecretKey()
                    .token(true)
                    .private_(true)
                    .label(f.name())
                    .id(f.version().orElseThrow().getBytes(StandardCharsets.US_ASCII))
                    .valueLen(32)
                    .decrypt(true)
                    .unwrap(true)));

    KeyAccessDeniedException e = service.assertForgeryIsolated(forged, KeyAccessDeniedException.class);
    assertEquals(Reason.OPERATION_NOT_PERMITTED, e.reason());
    assertEquals(Optional.of(f), e.keyReference());
  }

  @Test
  void decrypt_forgedEnvelopeNamesPublicKeyOnly_operationNotPermittedGuardAvailable() {
    Service service = service(OaepFallback.RAW_RSA_WITH_SOFTWARE_OAEP);
    KeyReference f = service.admin.manager().createKey(unique("public-only"), 2048);
    byte[] forged = service.writeWith(f).envelope;
    SoftHsm.withSession(
        service.admin,
        s -> {
          s.destroyObject(privateKey(s, f));
          return null;
        });

    KeyAccessDeniedException e = service.assertForgeryIsolated(forged, KeyAccessDeniedException.class);
    assertEquals(Reason.OPERATION_NOT_PERMITTED, e.reason());
  }

  @Test
  void decrypt_forgedEnvelopeKeyAllowsNeitherOaepNorRawRsa_operationNotPermittedGuardAvailable()
      throws Exception {
    Service service = service(OaepFallback.RAW_RSA_WITH_SOFTWARE_OAEP);
    byte[] forged = forgeUnderPkcs1OnlyKey(service, unique("pkcs1-only"));

    KeyAccessDeniedException e = service.assertForgeryIsolated(forged, KeyAccessDeniedException.class);
    assertEquals(Reason.OPERATION_NOT_PERMITTED, e.reason());
  }

  @Test
  void decrypt_forgedEnvelopeVersionGone_keyNotFoundGuardAvailable() {
    Service service = service(OaepFallback.RAW_RSA_WITH_SOFTWARE_OAEP);
    KeyReference f = service.admin.manager().createKey(unique("gone"), 2048);
    byte[] forged = service.writeWith(f).envelope;
    service.admin.manager().deleteKey(f);

    KeyNotFoundException e = service.assertForgeryIsolated(forged, KeyNotFoundException.class);
    assertEquals(Optional.of(f), e.keyReference());
  }

  /**
   * A token whose policy forbids raw RSA for the service's key (simulated with K's {@code
   * CKA_ALLOWED_MECHANISMS} = OAEP only) and a provider that uses native OAEP. The first envelope
   * the provider ever unwraps (here through a read-only instance sharing it) names key F, which
   * refuses OAEP. The native-OAEP probe must not conclude from F that the token lacks OAEP: if it
   * did, K's envelopes would go the raw way and be refused, and the guarded instance could not
   * even start (its trial unwrap fails) or, running, would be suspended by one forged envelope.
   */
  @Test
  void decrypt_forgedEnvelopeFirstUnwrapKeyRefusesOaep_probeNotPoisonedKeyStillDecrypts()
      throws Exception {
    Pkcs11KeyProvider shared =
        closing(token.provider().oaepFallback(OaepFallback.NATIVE_OAEP_SHA1).build());
    KeyReference k = generate(shared, unique("oaep-only"), new long[] {CKM_RSA_PKCS_OAEP});
    Service forger = new Service(OaepFallback.NATIVE_OAEP_SHA1, k);
    byte[] forged = forgeUnderPkcs1OnlyKey(forger, unique("no-oaep"));
    assertEquals(WrapAlgorithm.RSA_OAEP_SHA1, EnvelopeInfo.of(forged).wrapAlgorithm());
    Written underK = forger.writeWith(k);

    try (EnvelopeCrypto readOnly = EnvelopeCrypto.builder().provider(shared).build()) {
      KeyAccessDeniedException e =
          assertThrows(KeyAccessDeniedException.class, () -> readOnly.decrypt(forged, AAD));
      assertEquals(Reason.OPERATION_NOT_PERMITTED, e.reason());
      assertNotEquals(
          Optional.of(false),
          shared.nativeOaepSupport(WrapAlgorithm.RSA_OAEP_SHA1),
          "a key that refuses OAEP says nothing about the token");
      underK.assertDecrypts(readOnly);
    }
    ManualClock clock = ManualClock.create();
    try (EnvelopeCrypto guarded = CmkOnToken.guarded(shared, k, clock).build()) {
      assertEquals(KeyAccessState.AVAILABLE, guarded.keyAccess().status().state());
      underK.assertDecrypts(guarded);
      assertThrows(KeyAccessDeniedException.class, () -> guarded.decrypt(forged, AAD));
      Written.encrypt(guarded, "after", 100).assertDecrypts(guarded);
      assertEquals(KeyAccessState.AVAILABLE, guarded.keyAccess().status().state());
    }
    assertEquals(Optional.of(true), shared.nativeOaepSupport(WrapAlgorithm.RSA_OAEP_SHA1));
  }

  /**
   * A forged envelope under key F whose private key permits only PKCS#1 v1.5 ({@code CKM_RSA_PKCS}):
   * F is imported from software without restriction, an envelope is written under it, then its
   * private key is replaced by the same key restricted to {@code CKM_RSA_PKCS} (a writer could not
   * use the restricted key: its guard's trial unwrap would fail).
   */
  private byte[] forgeUnderPkcs1OnlyKey(Service service, String name) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    RSAPrivateCrtKey key = (RSAPrivateCrtKey) g.generateKeyPair().getPrivate();
    KeyReference f = SoftHsm.importKeyPair(service.admin, name, Versions.first(RANDOM), key);
    byte[] forged = service.writeWith(f, ANY_RSA).envelope;
    SoftHsm.withSession(
        service.admin,
        s -> {
          s.destroyObject(privateKey(s, f));
          s.createObject(
              SoftHsm.crtPrivateKey(key)
                  .token(true)
                  .private_(true)
                  .sensitive(true)
                  .extractable(false)
                  .label(f.name())
                  .id(f.version().orElseThrow().getBytes(StandardCharsets.US_ASCII))
                  .decrypt(true)
                  .unwrap(true)
                  .sign(false)
                  .allowedMechanisms(new long[] {CKM_RSA_PKCS}));
          return null;
        });
    return forged;
  }

  // ---------------------------------------------------------------------------------------------

  /** The service under attack: a guarded instance writing under K, and a second provider. */
  private final class Service {
    final ManualClock clock = ManualClock.create();
    final Pkcs11KeyProvider provider;
    final FaultInjectingProvider counted;
    final Pkcs11KeyProvider admin;
    final KeyReference k;
    final EnvelopeCrypto crypto;
    final List<KeyAccessEvent> events = new CopyOnWriteArrayList<>();

    Service(OaepFallback fallback, KeyReference k) {
      this.provider = closing(token.provider().oaepFallback(fallback).clock(clock).build());
      this.admin = closing(token.provider().oaepFallback(fallback).build());
      this.k = k;
      this.counted = FaultInjectingProvider.wrapping(provider);
      this.crypto =
          closing(CmkOnToken.guarded(counted, k, clock).listener(events::add).build());
    }

    /** An envelope written by another instance (its own provider and cache) under {@code key}. */
    Written writeWith(KeyReference key) {
      return writeWith(key, CmkOnToken.tokenPolicy());
    }

    Written writeWith(KeyReference key, KeyPolicy policy) {
      ManualClock writerClock = ManualClock.create();
      try (EnvelopeCrypto writer =
          EnvelopeCrypto.builder()
              .provider(admin)
              .writeKey(key.versionless())
              .clock(writerClock)
              .sleeper(writerClock::advance)
              .keyPolicy(policy)
              .build()) {
        Written w = Written.encrypt(writer, "under-" + key.name(), 200);
        assertEquals(key, EnvelopeInfo.of(w.envelope).keyReference(), "written under " + key);
        return w;
      }
    }

    /**
     * Decrypting {@code forged} fails with {@code expected}; nothing else is affected, neither at
     * once nor after the guard re-confirmed K, nor by twenty more forgeries.
     */
    <T extends KeyProviderException> T assertForgeryIsolated(byte[] forged, Class<T> expected) {
      Written mine = Written.encrypt(crypto, "mine", 300); // cached data key
      Written unwrapLater = writeWith(k); // not cached here: its data key needs the token
      long cached = crypto.diagnostics().cachedDataKeys();
      assertTrue(cached > 0, "the write key's data key is cached");

      T e = assertThrows(expected, () -> crypto.decrypt(forged, AAD));
      assertState("right after the forged envelope");
      long calls = CmkOnToken.providerCalls(counted);
      for (int i = 0; i < 20; i++) {
        assertThrows(expected, () -> crypto.decrypt(forged, AAD));
      }
      assertEquals(
          calls,
          CmkOnToken.providerCalls(counted),
          "repeats of a refused envelope within its back-off do not reach the token: " + counted);
      assertEquals(cached, crypto.diagnostics().cachedDataKeys(), "no cached data key was purged");
      mine.assertDecrypts(crypto);
      unwrapLater.assertDecrypts(crypto); // K unwraps through the token
      Written.encrypt(crypto, "after", 300).assertDecrypts(crypto);

      clock.advance(PAST_PROBE_INTERVAL); // the guard re-confirms K now
      for (int i = 0; i < 20; i++) {
        assertThrows(expected, () -> crypto.decrypt(forged, AAD));
      }
      assertState("after re-confirming K and twenty more forgeries");
      mine.assertDecrypts(crypto);
      writeWith(k).assertDecrypts(crypto);
      Written.encrypt(crypto, "later", 300).assertDecrypts(crypto);

      RewrapReport report =
          crypto.rewrapAll(
              List.of(item("forged-1", forged), item("mine", mine.envelope),
                  item("forged-2", forged), item("after", unwrapLater.envelope)),
              (id, outcome, done) -> {});
      assertEquals(4, report.total(), "the run went on past the forged items: " + report);
      assertEquals(2, report.failed(), report.toString());
      assertEquals(2, report.alreadyCurrent(), report.toString());
      assertState("after rewrapAll");
      assertFalse(
          events.stream().anyMatch(ev -> ev instanceof KeyAccessEvent.DataKeysPurged),
          "no purge: " + events);
      return e;
    }

    private void assertState(String when) {
      assertEquals(
          KeyAccessState.AVAILABLE, crypto.keyAccess().status().state(), when + ": " + events);
    }
  }

  private Service service(OaepFallback fallback) {
    try (Pkcs11KeyProvider p = token.provider().build()) {
      return new Service(fallback, p.manager().createKey(unique("service"), 2048));
    }
  }

  private static RewrapItem item(String id, byte[] envelope) {
    return RewrapItem.ofBytes(id, () -> envelope, b -> {});
  }

  private <T extends AutoCloseable> T closing(T resource) {
    toClose.add(resource);
    return resource;
  }

  private static String unique(String prefix) {
    return prefix + "-" + Long.toHexString(RANDOM.nextLong() & 0xffffffffL);
  }

  private static long privateKey(org.xipki.pkcs11.wrapper.Session s, KeyReference version)
      throws org.xipki.pkcs11.wrapper.PKCS11Exception {
    long[] handles =
        s.findAllObjectsSingle(
            AttributeVector.newRSAPrivateKey()
                .label(version.name())
                .id(version.version().orElseThrow().getBytes(StandardCharsets.US_ASCII)));
    assertEquals(1, handles.length, "one private key for " + version);
    return handles[0];
  }

  /**
   * Generates a 2048-bit pair in the token (so it counts as an HSM key) whose private key permits
   * only {@code allowed}, as an HSM policy or another application would set it. Closes {@code
   * provider} if it is not one of the test's own.
   */
  private KeyReference generate(Pkcs11KeyProvider provider, String name, long[] allowed) {
    String version = Versions.first(RANDOM);
    byte[] id = version.getBytes(StandardCharsets.US_ASCII);
    SoftHsm.withSession(
        provider,
        s ->
            s.generateKeyPair(
                new Mechanism(CKM_RSA_PKCS_KEY_PAIR_GEN),
                new KeyPairTemplate(
                    AttributeVector.newRSAPrivateKey()
                        .token(true)
                        .private_(true)
                        .sensitive(true)
                        .extractable(false)
                        .label(name)
                        .id(id)
                        .decrypt(true)
                        .unwrap(true)
                        .sign(false)
                        .allowedMechanisms(allowed),
                    SoftHsm.publicKeyTemplate(name, id)
                        .modulusBits(2048)
                        .publicExponent(F4))));
    KeyReference ref = provider.manager().keyReference(name).withVersion(version);
    if (!toClose.contains(provider)) {
      provider.close();
    }
    return ref;
  }
}
