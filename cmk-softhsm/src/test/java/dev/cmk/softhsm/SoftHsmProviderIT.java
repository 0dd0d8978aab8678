package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_ALWAYS_SENSITIVE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_EXTRACTABLE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_MODULUS;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_NEVER_EXTRACTABLE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_PRIVATE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_PRIVATE_EXPONENT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_PUBLIC_EXPONENT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_SENSITIVE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_SIGN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_TOKEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_PKCS;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_MECHANISM_INVALID;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.TokenProtection;
import dev.cmk.api.VaultProtection;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.softhsm.internal.WycheproofOaep;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Cipher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;

/** Wrap, unwrap, interoperability, rotation and key attributes on a real SoftHSM2 token. */
class SoftHsmProviderIT {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static SoftHsm.TestToken token;
  private static Pkcs11KeyProvider provider;
  private static Pkcs11KeyProvider sha1Provider;
  private static KeyReference key2048;
  private static KeyReference imported;
  private static RSAPrivateCrtKey importedPrivate;

  @BeforeAll
  static void setUp() throws Exception {
    token = SoftHsm.createToken("provider-it");
    provider = token.provider().build();
    sha1Provider = token.provider().oaepFallback(OaepFallback.NATIVE_OAEP_SHA1).build();
    key2048 = provider.manager().createKey("shared-2048", 2048);
    importedPrivate = softwareRsa2048();
    imported = SoftHsm.importKeyPair(provider, "imported", "v0001", importedPrivate);
  }

  @AfterAll
  static void tearDown() {
    if (sha1Provider != null) {
      sha1Provider.close();
    }
    if (provider != null) {
      provider.close();
    }
  }

  /** The one object of {@code key2048} ({@code CKA_LABEL} and {@code CKA_ID}) of {@code kind}. */
  private static long key2048Object(Session s, AttributeVector kind) throws PKCS11Exception {
    byte[] id = key2048.version().orElseThrow().getBytes(StandardCharsets.US_ASCII);
    long[] h = s.findObjectsSingle(kind.label(key2048.name()).id(id), 2);
    assertEquals(1, h.length, "objects of " + key2048);
    return h[0];
  }

  /** A software RSA-2048 private key, to import as a version made by another tool. */
  private static RSAPrivateCrtKey softwareRsa2048() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return (RSAPrivateCrtKey) g.generateKeyPair().getPrivate();
  }

  private static SecretBytes dataKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return SecretBytes.wrapOwned(b);
  }

  private static byte[] jdkEncrypt(RSAPublicKey key, WrapAlgorithm alg, byte[] message) throws Exception {
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(Cipher.ENCRYPT_MODE, key, alg.oaepParameters());
    return c.doFinal(message);
  }

  private static byte[] jdkDecrypt(RSAPrivateCrtKey key, WrapAlgorithm alg, byte[] ciphertext) throws Exception {
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(Cipher.DECRYPT_MODE, key, alg.oaepParameters());
    return c.doFinal(ciphertext);
  }

  @ParameterizedTest
  @ValueSource(ints = {2048, 3072})
  void wrapUnwrap_keySize_roundTripsWithOaep256(int size) {
    KeyReference version =
        size == 2048 ? key2048 : provider.manager().createKey("round-trip-" + size, size);
    SecretBytes dataKey = dataKey();
    WrappedKey wrapped = provider.wrap(version, dataKey);
    assertEquals(WrapAlgorithm.RSA_OAEP_256, wrapped.algorithm());
    assertEquals(Pkcs11KeyProvider.ID, wrapped.providerId());
    assertEquals(size / 8, wrapped.ciphertextLength());
    assertEquals(dataKey, provider.unwrap(wrapped));
    KeyDescription d = provider.describe(version);
    assertEquals(size, d.sizeBits());
    assertEquals(KeyType.RSA_HSM, d.keyType());
    assertEquals(VaultProtection.none(), d.vaultProtection());
  }

  @Test
  void unwrap_softHsm_probesNativeOaep256AndFallsBackToRawRsa() {
    provider.unwrap(provider.wrap(key2048, dataKey()));
    assertEquals(
        Boolean.FALSE,
        provider.nativeOaepSupport(WrapAlgorithm.RSA_OAEP_256).orElseThrow(),
        "SoftHSM 2.6 answers CKR_ARGUMENTS_BAD to OAEP with SHA-256");
  }

  @Test
  void unwrap_jdkOaep256UnderExportedPublicKey_returnsDataKey() throws Exception {
    RSAPublicKey pub = (RSAPublicKey) provider.publicKey(key2048).orElseThrow();
    byte[] dataKey = new byte[32];
    RANDOM.nextBytes(dataKey);
    WrappedKey wrapped =
        new WrappedKey("pkcs11", key2048, WrapAlgorithm.RSA_OAEP_256, jdkEncrypt(pub, WrapAlgorithm.RSA_OAEP_256, dataKey));
    assertArrayEquals(dataKey, provider.unwrap(wrapped).copy());
  }

  @Test
  void publicKey_exported_matchesPublicKeyObjectInToken() {
    RSAPublicKey pub = (RSAPublicKey) provider.publicKey(key2048).orElseThrow();
    AttributeVector a =
        SoftHsm.withSession(
            provider,
            s ->
                s.getAttrValues(
                    key2048Object(s, AttributeVector.newRSAPublicKey()),
                    CKA_MODULUS,
                    CKA_PUBLIC_EXPONENT));
    assertEquals(a.modulus(), pub.getModulus());
    assertEquals(a.publicExponent(), pub.getPublicExponent());
    assertEquals(BigInteger.valueOf(65537), pub.getPublicExponent());
  }

  @Test
  void wrap_importedKey_jdkDecryptsWithItsPrivateKey() throws Exception {
    SecretBytes dataKey = dataKey();
    WrappedKey wrapped = provider.wrap(imported, dataKey);
    assertEquals(WrapAlgorithm.RSA_OAEP_256, wrapped.algorithm());
    assertArrayEquals(dataKey.copy(), jdkDecrypt(importedPrivate, WrapAlgorithm.RSA_OAEP_256, wrapped.ciphertext()));
  }

  @Test
  void fallbackNativeOaepSha1_wrap_recordsRsaOaepAndJdkDecrypts() throws Exception {
    SecretBytes dataKey = dataKey();
    WrappedKey wrapped = sha1Provider.wrap(imported, dataKey);
    assertEquals(WrapAlgorithm.RSA_OAEP_SHA1, wrapped.algorithm());
    assertArrayEquals(dataKey.copy(), jdkDecrypt(importedPrivate, WrapAlgorithm.RSA_OAEP_SHA1, wrapped.ciphertext()));
    assertEquals(dataKey, sha1Provider.unwrap(wrapped), "native OAEP-SHA1 in the token");
    assertEquals(
        Boolean.TRUE, sha1Provider.nativeOaepSupport(WrapAlgorithm.RSA_OAEP_SHA1).orElseThrow());
  }

  @Test
  void fallbackNativeOaepSha1_unwrap_jdkSha1CiphertextReturnsDataKey() throws Exception {
    byte[] dataKey = new byte[32];
    RANDOM.nextBytes(dataKey);
    RSAPublicKey pub = (RSAPublicKey) sha1Provider.publicKey(key2048).orElseThrow();
    WrappedKey wrapped =
        new WrappedKey("pkcs11", key2048, WrapAlgorithm.RSA_OAEP_SHA1, jdkEncrypt(pub, WrapAlgorithm.RSA_OAEP_SHA1, dataKey));
    assertArrayEquals(dataKey, sha1Provider.unwrap(wrapped).copy());
    assertArrayEquals(dataKey, provider.unwrap(wrapped).copy(), "any provider reads RSA-OAEP");
  }

  @Test
  void unwrap_envelopesOfEitherAlgorithm_readByEitherProvider() {
    SecretBytes dataKey = dataKey();
    WrappedKey by256 = provider.wrap(key2048, dataKey);
    WrappedKey bySha1 = sha1Provider.wrap(key2048, dataKey);
    assertNotEquals(by256.algorithm(), bySha1.algorithm());
    assertEquals(dataKey, sha1Provider.unwrap(by256));
    assertEquals(dataKey, provider.unwrap(bySha1));
  }

  @Test
  void unwrap_nativeSha1TamperedCiphertext_invalidCiphertext() {
    WrappedKey w = sha1Provider.wrap(key2048, dataKey());
    byte[] ct = w.ciphertext();
    ct[ct.length / 2] ^= 1;
    WrappedKey tampered = new WrappedKey(w.providerId(), w.keyReference(), w.algorithm(), ct);
    InvalidCiphertextException e =
        assertThrows(InvalidCiphertextException.class, () -> sha1Provider.unwrap(tampered));
    assertNull(e.getCause());
  }

  @Test
  void unwrap_wycheproofVectorsThroughToken_validDecryptInvalidRejectedUniformly() {
    Set<String> errors = new HashSet<>();
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (WycheproofOaep.Vectors file : WycheproofOaep.load()) {
      String name = "wycheproof-" + file.keySize();
      KeyReference ref = SoftHsm.importKeyPair(provider, name, "v0001", file.privateKey());
      for (WycheproofOaep.Case c : file.cases()) {
        // cmk uses the empty label and never wraps an empty data key: such valid cases must fail.
        boolean expectValid = c.valid() && c.label().length == 0 && c.msg().length > 0;
        WrappedKey w;
        try {
          w = new WrappedKey("pkcs11", ref, WrapAlgorithm.RSA_OAEP_256, c.ct());
        } catch (IllegalArgumentException e) {
          if (expectValid) {
            failures.add(file.file() + " " + c + ": not representable");
          }
          continue; // an empty ciphertext cannot even be an envelope field
        }
        checked++;
        try {
          SecretBytes out = provider.unwrap(w);
          if (!expectValid) {
            failures.add(file.file() + " " + c + ": accepted");
          } else if (!java.util.Arrays.equals(c.msg(), out.copy())) {
            failures.add(file.file() + " " + c + ": wrong plaintext");
          }
        } catch (InvalidCiphertextException e) {
          if (expectValid) {
            failures.add(file.file() + " " + c + ": rejected");
          }
          errors.add(e.getMessage() + " cause=" + e.getCause());
        }
      }
    }
    assertEquals(List.of(), failures);
    assertEquals(72, checked, "every case but the two empty ciphertexts reached the provider");
    assertEquals(Set.of(InvalidCiphertextException.MESSAGE + " cause=null"), errors);
  }

  @Test
  void privateKey_generatedInToken_isSensitiveAndNeverExtractable() {
    AttributeVector a =
        SoftHsm.withSession(
            provider,
            s ->
                s.getAttrValues(
                    key2048Object(s, AttributeVector.newRSAPrivateKey()),
                    CKA_SENSITIVE,
                    CKA_EXTRACTABLE,
                    CKA_ALWAYS_SENSITIVE,
                    CKA_NEVER_EXTRACTABLE,
                    CKA_TOKEN,
                    CKA_PRIVATE,
                    CKA_SIGN,
                    CKA_PRIVATE_EXPONENT));
    assertEquals(Boolean.TRUE, a.sensitive(), "CKA_SENSITIVE");
    assertEquals(Boolean.FALSE, a.extractable(), "CKA_EXTRACTABLE");
    assertEquals(Boolean.TRUE, a.alwaysSensitive(), "CKA_ALWAYS_SENSITIVE");
    assertEquals(Boolean.TRUE, a.neverExtractable(), "CKA_NEVER_EXTRACTABLE");
    assertEquals(Boolean.TRUE, a.token(), "CKA_TOKEN");
    assertEquals(Boolean.TRUE, a.private_(), "CKA_PRIVATE");
    assertEquals(Boolean.FALSE, a.sign(), "CKA_SIGN");
    assertTrue(a.getAttribute(CKA_PRIVATE_EXPONENT).isSensitive(), "CKA_PRIVATE_EXPONENT is not readable");
    assertNull(a.privateExponent());
  }

  @Test
  void privateKey_pkcs1v15Decryption_refusedByAllowedMechanisms() throws Exception {
    RSAPublicKey pub = (RSAPublicKey) provider.publicKey(key2048).orElseThrow();
    Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
    c.init(Cipher.ENCRYPT_MODE, pub);
    byte[] ct = c.doFinal(new byte[32]);
    PKCS11Exception e =
        SoftHsm.withSession(
            provider,
            s -> {
              long h = key2048Object(s, AttributeVector.newRSAPrivateKey());
              try {
                s.decryptSingle(new Mechanism(CKM_RSA_PKCS), h, ct);
                return null;
              } catch (PKCS11Exception x) {
                return x;
              }
            });
    assertTrue(e != null, "PKCS#1 v1.5 decryption must be refused (no padding oracle)");
    assertEquals(CKR_MECHANISM_INVALID, e.getErrorCode());
  }

  @Test
  void rotate_newVersion_becomesLatestAndOldStillUnwraps() {
    Pkcs11KeyManager m = provider.manager();
    KeyReference v1 = m.createKey("rotating", 2048);
    SecretBytes dataKey = dataKey();
    WrappedKey old = provider.wrap(v1, dataKey);
    KeyReference v2 = m.rotateKey(v1);
    assertTrue(v1.version().orElseThrow().matches("v0001-[0-9a-f]{16}"), v1.toString());
    assertTrue(v2.version().orElseThrow().matches("v0002-[0-9a-f]{16}"), v2.toString());
    assertEquals(v2, provider.resolveLatest(v1.versionless()));
    WrappedKey fresh = provider.wrap(provider.resolveLatest(v1.versionless()), dataKey());
    assertEquals(v2, fresh.keyReference(), "new writes use the new version");
    assertEquals(dataKey, provider.unwrap(old), "old envelopes still unwrap");
    List<KeyDescription> versions = m.listVersions(v1);
    assertEquals(List.of(v1, v2), versions.stream().map(KeyDescription::reference).toList());
  }

  @Test
  void rotate_afterLatestVersionDeleted_newIdAndOldWrappedKeyNotFound() {
    Pkcs11KeyManager m = provider.manager();
    KeyReference v1 = m.createKey("reused-version", 2048);
    KeyReference v2 = m.rotateKey(v1);
    WrappedKey underV2 = provider.wrap(v2, dataKey());
    m.deleteVersion(v2);
    KeyReference v3 = m.rotateKey(v1);
    assertNotEquals(v2, v3, "a deleted version's id is never issued again");
    assertEquals(v3, provider.resolveLatest(v1.versionless()));
    assertThrows(KeyNotFoundException.class, () -> provider.unwrap(underV2));
    assertThrows(KeyNotFoundException.class, () -> provider.describe(v2));
  }

  @Test
  void createKey_afterKeyDeleted_newIdAndOldWrappedKeyNotFound() {
    Pkcs11KeyManager m = provider.manager();
    KeyReference first = m.createKey("recreated", 2048);
    WrappedKey old = provider.wrap(first, dataKey());
    m.deleteKey(first);
    KeyReference again = m.createKey("recreated", 2048);
    assertNotEquals(first, again);
    assertThrows(KeyNotFoundException.class, () -> provider.unwrap(old));
  }

  @Test
  void describe_legacyNumberedVersionBesideNewOnes_stillReadAndOrdered() throws Exception {
    KeyReference legacy = SoftHsm.importKeyPair(provider, "legacy-format", "v0001", softwareRsa2048());
    assertEquals(legacy, provider.resolveLatest(legacy.versionless()));
    SecretBytes dataKey = dataKey();
    WrappedKey w = provider.wrap(legacy, dataKey);
    KeyReference next = provider.manager().rotateKey(legacy);
    assertTrue(next.version().orElseThrow().startsWith("v0002-"), next.toString());
    assertEquals(next, provider.resolveLatest(legacy.versionless()));
    assertEquals(dataKey, provider.unwrap(w));
  }

  @Test
  void describe_importedKeys_reportedAsSoftwareRsaNotHsm() throws Exception {
    KeyReference extractable =
        SoftHsm.importKeyPair(provider, "extractable", "v0001", softwareRsa2048(), false);
    assertEquals(KeyType.RSA, provider.describe(extractable).keyType());
    assertEquals(KeyType.RSA, provider.describe(extractable.versionless()).keyType());
    assertEquals(
        List.of(KeyType.RSA),
        provider.manager().listVersions(extractable).stream().map(KeyDescription::keyType).toList());
    SecretBytes dataKey = dataKey();
    assertEquals(dataKey, provider.unwrap(provider.wrap(extractable, dataKey)), "still usable");
    // Imported sensitive and not extractable: the material existed outside the token
    // (CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE are false), so not an HSM key either.
    assertEquals(KeyType.RSA, provider.describe(imported).keyType());
    assertEquals(KeyType.RSA_HSM, provider.describe(key2048).keyType());
  }

  @Test
  void unwrap_ciphertextOfOtherVersion_invalidCiphertext() {
    Pkcs11KeyManager m = provider.manager();
    KeyReference v1 = m.createKey("cross-version", 2048);
    KeyReference v2 = m.rotateKey(v1);
    WrappedKey underV1 = provider.wrap(v1, dataKey());
    WrappedKey asV2 = new WrappedKey("pkcs11", v2, underV1.algorithm(), underV1.ciphertext());
    assertThrows(InvalidCiphertextException.class, () -> provider.unwrap(asV2));
  }

  @Test
  void disable_thenEnable_describeAndUnwrapFollow() {
    Pkcs11KeyManager m = provider.manager();
    KeyReference v1 = m.createKey("toggled", 2048);
    WrappedKey w = provider.wrap(v1, dataKey());
    m.setEnabled(v1, false);
    assertFalse(provider.describe(v1).enabled());
    KeyAccessDeniedException denied = assertThrows(KeyAccessDeniedException.class, () -> provider.unwrap(w));
    assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, denied.reason());
    assertThrows(KeyAccessDeniedException.class, () -> provider.wrap(v1, dataKey()));
    m.setEnabled(v1, true);
    assertTrue(provider.describe(v1).enabled());
    provider.unwrap(w);
  }

  @Test
  void deleteVersion_onlyThatVersionGone() {
    Pkcs11KeyManager m = provider.manager();
    KeyReference v1 = m.createKey("pruned", 2048);
    KeyReference v2 = m.rotateKey(v1);
    m.deleteVersion(v1);
    assertThrows(KeyNotFoundException.class, () -> provider.describe(v1));
    assertEquals(v2, provider.describe(v1.versionless()).reference());
    assertThrows(KeyNotFoundException.class, () -> m.deleteVersion(v1));
  }

  @Test
  void createKey_existingNameOrBadSize_refused() {
    Pkcs11KeyManager m = provider.manager();
    assertThrows(IllegalStateException.class, () -> m.createKey(key2048.name(), 2048));
    assertThrows(IllegalArgumentException.class, () -> m.createKey("small", 1024));
  }

  @Test
  void keyManager_referenceNotServed_keyNotFoundLikeTheProvider() {
    Pkcs11KeyManager m = provider.manager();
    KeyReference otherToken = KeyReference.parse("pkcs11:token=other;object=" + key2048.name());
    KeyReference otherVersion = otherToken.withVersion(key2048.version().orElseThrow());
    assertThrows(KeyNotFoundException.class, () -> m.rotateKey(otherToken));
    assertThrows(KeyNotFoundException.class, () -> m.setEnabled(otherVersion, false));
    assertThrows(KeyNotFoundException.class, () -> m.deleteKey(otherToken));
    assertThrows(KeyNotFoundException.class, () -> m.deleteVersion(otherVersion));
    assertThrows(KeyNotFoundException.class, () -> m.listVersions(otherToken));
    IllegalArgumentException versionless =
        assertThrows(IllegalArgumentException.class, () -> m.setEnabled(key2048.versionless(), false));
    assertTrue(versionless.getMessage().startsWith("version must name a key version"), versionless.getMessage());
    assertEquals(Optional.of(m), provider.keyManager());
    assertEquals(Set.of(KeyManager.Capability.DELETE_VERSION), m.capabilities());
    assertThrows(UnsupportedOperationException.class, () -> m.recoverKey(key2048));
  }

  @Test
  void createKey_labelWithSpacesAndUnderscore_isNamedAndUsableByItsReference() {
    KeyReference v1 = provider.manager().createKey("Patient data_2026 #1", 2048);
    assertEquals("Patient data_2026 #1", v1.name());
    assertTrue(v1.toString().contains("object=Patient%20data_2026%20%231;"), v1.toString());
    KeyReference parsed = KeyReference.parse(v1.toString());
    SecretBytes dataKey = dataKey();
    assertEquals(dataKey, provider.unwrap(provider.wrap(parsed, dataKey)));
    assertEquals(v1, provider.resolveLatest(parsed.versionless()));
  }

  @Test
  void listKeys_everyPrivateKeyLabelOnce_sortedAndDescribable() {
    List<KeyReference> keys = provider.manager().listKeys();
    assertTrue(keys.contains(key2048.versionless()), keys.toString());
    assertEquals(keys.stream().distinct().sorted(java.util.Comparator.comparing(KeyReference::name)).toList(), keys);
    for (KeyReference k : keys) {
      assertFalse(k.isVersioned(), k.toString());
      assertFalse(provider.manager().listVersions(k).isEmpty(), k.toString());
    }
  }

  @Test
  void describe_generatedKey_reportsWhatTheTokenAttests() throws Exception {
    TokenProtection p = provider.describe(key2048).tokenProtection();
    assertEquals(
        EnumSet.of(
            TokenProtection.Property.PERSISTENT,
            TokenProtection.Property.SENSITIVE,
            TokenProtection.Property.ALWAYS_SENSITIVE,
            TokenProtection.Property.NOT_EXTRACTABLE,
            TokenProtection.Property.NEVER_EXTRACTABLE),
        p.attested(),
        "generated modifiable (so that it can be disabled) and destroyable: " + p);
    assertEquals(Set.of(), p.unreported(), "SoftHSM2 reports every attribute");
    assertEquals(VaultProtection.none(), provider.describe(key2048).vaultProtection());

    KeyReference extractable =
        SoftHsm.importKeyPair(provider, "extractable-attested", "v0001", softwareRsa2048(), false);
    TokenProtection weak = provider.describe(extractable).tokenProtection();
    assertTrue(weak.attests(TokenProtection.Property.PERSISTENT));
    assertFalse(weak.attests(TokenProtection.Property.SENSITIVE), weak.toString());
    assertFalse(weak.attests(TokenProtection.Property.NOT_EXTRACTABLE), weak.toString());
  }

  @Test
  void serves_referencesOfOtherTokensOrKinds_false() {
    assertTrue(provider.serves(key2048));
    assertFalse(provider.serves(KeyReference.parse("pkcs11:token=other;object=" + key2048.name())));
    assertFalse(provider.serves(KeyReference.local(key2048.name(), null)));
    assertFalse(provider.serves(KeyReference.parse(key2048 + ";serial=0000000000000000")));
    assertFalse(provider.serves(KeyReference.parse(key2048 + ";slot-id=1")));
  }

  @Test
  void describeWrapPublicKey_referenceNotServed_keyNotFound() {
    KeyReference otherToken = KeyReference.parse("pkcs11:token=other;object=" + key2048.name());
    KeyReference otherVersion = otherToken.withVersion(key2048.version().orElseThrow());
    assertThrows(KeyNotFoundException.class, () -> provider.describe(KeyReference.local("x", null)));
    assertThrows(KeyNotFoundException.class, () -> provider.describe(otherToken));
    assertThrows(KeyNotFoundException.class, () -> provider.wrap(otherVersion, dataKey()));
    assertThrows(KeyNotFoundException.class, () -> provider.publicKey(otherVersion));
  }

  @Test
  void unwrap_otherProviderId_keyNotFound() {
    WrappedKey w = provider.wrap(key2048, dataKey());
    WrappedKey other = new WrappedKey("in-memory", w.keyReference(), w.algorithm(), w.ciphertext());
    KeyNotFoundException e = assertThrows(KeyNotFoundException.class, () -> provider.unwrap(other));
    assertEquals(Optional.of(key2048), e.keyReference());
  }

  @Test
  void unwrap_referenceOnOtherTokenOrSerial_keyNotFound() {
    WrappedKey w = provider.wrap(key2048, dataKey());
    for (String reference :
        List.of(
            "pkcs11:token=other;object=" + key2048.name() + ";id=" + key2048.version().orElseThrow(),
            key2048 + ";serial=0000000000000000")) {
      WrappedKey other =
          new WrappedKey("pkcs11", KeyReference.parse(reference), w.algorithm(), w.ciphertext());
      assertThrows(KeyNotFoundException.class, () -> provider.unwrap(other), reference);
    }
  }

  @Test
  void unwrap_ciphertextNotBelowModulus_invalidCiphertextBeforeToken() {
    RSAPublicKey pub = (RSAPublicKey) provider.publicKey(key2048).orElseThrow();
    byte[] n = pub.getModulus().toByteArray();
    byte[] ct = java.util.Arrays.copyOfRange(n, n.length - 256, n.length);
    WrappedKey w = new WrappedKey("pkcs11", key2048, WrapAlgorithm.RSA_OAEP_256, ct);
    assertInstanceOf(InvalidCiphertextException.class, assertThrows(InvalidCiphertextException.class, () -> provider.unwrap(w)));
  }
}
