package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.VaultProtection;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Lifecycle, policy-relevant attributes, deletion rules and interoperability of the provider. */
class InMemoryKeyProviderTest {
  private static final OAEPParameterSpec OAEP_256 =
      new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
  private static final OAEPParameterSpec OAEP_256_MGF1_SHA1 =
      new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT);
  private static final OAEPParameterSpec OAEP_SHA1 =
      new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT);

  /** Key generation is the slow part: tests that only import share these pairs. */
  private static KeyPair rsa2048;

  private static KeyPair rsa2048b;

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();

  @BeforeAll
  static void generateKeyPairs() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    rsa2048 = g.generateKeyPair();
    rsa2048b = g.generateKeyPair();
  }

  private static SecretBytes dataKey() {
    byte[] b = new byte[32];
    new java.security.SecureRandom().nextBytes(b);
    return SecretBytes.wrapOwned(b);
  }

  // ---------------------------------------------------------------------------------- builder

  @Test
  void builder_defaults_idInMemoryAndRecoverableProtection() {
    InMemoryKeyProvider p = InMemoryKeyProvider.create();
    assertEquals("in-memory", p.id());
    assertEquals(new VaultProtection(true, true, 90, "Recoverable"), p.vaultProtection());
  }

  @Test
  void builder_invalidId_throwsIllegalArgument() {
    InMemoryKeyProvider.Builder b = InMemoryKeyProvider.builder();
    assertThrows(IllegalArgumentException.class, () -> b.id("In Memory"));
    assertThrows(IllegalArgumentException.class, () -> b.id(""));
  }

  @Test
  void builder_nullSettings_throwNullPointerNamingParameter() {
    InMemoryKeyProvider.Builder b = InMemoryKeyProvider.builder();
    assertEquals("id", assertThrows(NullPointerException.class, () -> b.id(null)).getMessage());
    assertEquals(
        "clock", assertThrows(NullPointerException.class, () -> b.clock(null)).getMessage());
    assertEquals(
        "vaultProtection",
        assertThrows(NullPointerException.class, () -> b.vaultProtection(null)).getMessage());
    assertEquals(
        "random",
        assertThrows(NullPointerException.class, () -> b.secureRandom(null)).getMessage());
  }

  @Test
  void builder_customId_isWrittenIntoWrappedKeys() {
    InMemoryKeyProvider p = InMemoryKeyProvider.builder().id("test-kms").build();
    KeyReference v = p.manager().importKey("k", rsa2048);
    assertEquals("test-kms", p.wrap(v, dataKey()).providerId());
  }

  // ------------------------------------------------------------------------------ create keys

  @Test
  void createKey_rsa2048_describedAsEnabledRsaWithDefaultOperations() {
    KeyReference v = provider.manager().createKey("patient-data", 2048);
    assertEquals(KeyReference.Kind.LOCAL, v.kind());
    assertEquals("patient-data", v.name());
    KeyDescription d = provider.describe(v.versionless());
    assertEquals(v, d.reference());
    assertEquals(KeyType.RSA, d.keyType());
    assertEquals(2048, d.sizeBits());
    assertTrue(d.enabled());
    assertEquals(
        Set.of(
            KeyOperation.ENCRYPT,
            KeyOperation.DECRYPT,
            KeyOperation.SIGN,
            KeyOperation.VERIFY,
            KeyOperation.WRAP_KEY,
            KeyOperation.UNWRAP_KEY),
        d.operations());
    assertNull(d.notBefore());
    assertNull(d.expiresOn());
    assertEquals(provider.vaultProtection(), d.vaultProtection());
    assertEquals(
        2048, ((RSAPublicKey) provider.publicKey(v).orElseThrow()).getModulus().bitLength());
  }

  @Test
  void createKey_weakRsa1024_isCreatedForPolicyTests() {
    KeyReference v = provider.manager().createKey("weak", 1024);
    assertEquals(1024, provider.describe(v).sizeBits());
  }

  @Test
  void createKey_ecKey_describedAsEcWithSignVerifyAndRefusesWrap() {
    KeyReference v = provider.manager().createKey("ec", KeyType.EC, 256);
    KeyDescription d = provider.describe(v);
    assertEquals(KeyType.EC, d.keyType());
    assertEquals(0, d.sizeBits());
    assertEquals(Set.of(KeyOperation.SIGN, KeyOperation.VERIFY), d.operations());
    assertInstanceOf(ECPublicKey.class, provider.publicKey(v).orElseThrow());
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> provider.wrap(v, dataKey()));
    assertEquals(Reason.OPERATION_NOT_PERMITTED, e.reason());
  }

  @Test
  void wrap_ecKeyWithWrapOperationAllowed_stillRefusedAsOperationNotPermitted() {
    KeyReference v = provider.manager().createKey("ec-wrap", KeyType.EC_HSM, 384);
    provider.manager().setOperations(v, Set.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY));
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> provider.wrap(v, dataKey()));
    assertEquals(Reason.OPERATION_NOT_PERMITTED, e.reason());
    assertTrue(e.getMessage().contains("EC-HSM"), e.getMessage());
  }

  @Test
  void createKey_rsaHsmType_isDescribedAsRsaHsmAndWraps() {
    KeyReference v = provider.manager().createKey("hsm", KeyType.RSA_HSM, 2048);
    assertEquals(KeyType.RSA_HSM, provider.describe(v).keyType());
    SecretBytes dk = dataKey();
    assertArrayEquals(dk.copy(), provider.unwrap(provider.wrap(v, dk)).copy());
  }

  @Test
  void createKey_unsupportedSizeOrType_throwsIllegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> provider.manager().createKey("a", 2000));
    assertThrows(IllegalArgumentException.class, () -> provider.manager().createKey("a", 512));
    assertThrows(IllegalArgumentException.class, () -> provider.manager().createKey("a", KeyType.EC, 255));
    assertThrows(IllegalArgumentException.class, () -> provider.manager().createKey("a", KeyType.OCT, 256));
  }

  @Test
  void createKey_invalidName_throwsIllegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> provider.manager().importKey("under_score", rsa2048));
    assertThrows(IllegalArgumentException.class, () -> provider.manager().importKey("", rsa2048));
  }

  @Test
  void createKey_existingName_throwsIllegalState() {
    provider.manager().importKey("dup", rsa2048);
    assertThrows(IllegalStateException.class, () -> provider.manager().importKey("dup", rsa2048b));
  }

  @Test
  void importKey_mismatchedPair_throwsIllegalArgument() {
    KeyPair mixed = new KeyPair(rsa2048.getPublic(), rsa2048b.getPrivate());
    assertThrows(IllegalArgumentException.class, () -> provider.manager().importKey("mixed", mixed));
  }

  @Test
  void importKey_ecPair_throwsIllegalArgument() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    KeyPair ec = g.generateKeyPair();
    assertThrows(IllegalArgumentException.class, () -> provider.manager().importKey("ec", ec));
  }

  // ------------------------------------------------------------------------------- versions

  @Test
  void rotate_severalTimes_versionsSortInCreationOrderAndLatestIsNewest() {
    KeyReference v1 = provider.manager().importKey("rotating", rsa2048);
    KeyReference v2 = provider.manager().rotateKey(v1.versionless());
    KeyReference v3 = provider.manager().rotateKey(v1);
    List<KeyDescription> versions = provider.manager().listVersions(v1);
    assertEquals(List.of(v1, v2, v3), versions.stream().map(KeyDescription::reference).toList());
    assertTrue(v1.version().orElseThrow().compareTo(v2.version().orElseThrow()) < 0);
    assertTrue(v2.version().orElseThrow().compareTo(v3.version().orElseThrow()) < 0);
    assertEquals(v3, provider.resolveLatest(v1));
  }

  @Test
  void rotate_copiesTypeSizeAndOperationsOfLatest() {
    KeyReference v1 = provider.manager().importKey("copy-ops", rsa2048);
    provider.manager().setOperations(v1, Set.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY));
    KeyReference v2 = provider.manager().rotateKey(v1);
    KeyDescription d = provider.describe(v2);
    assertEquals(KeyType.RSA, d.keyType());
    assertEquals(2048, d.sizeBits());
    assertEquals(Set.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY), d.operations());
    assertNotEquals(
        provider.publicKey(v1).orElseThrow(), provider.publicKey(v2).orElseThrow(), "new key pair");
  }

  @Test
  void rotate_toWeakerKey_latestReportsNewTypeAndSize() {
    KeyReference v1 = provider.manager().importKey("downgrade", rsa2048);
    KeyReference v2 = provider.manager().rotateKey(v1, KeyType.RSA, 1024);
    assertEquals(1024, provider.describe(v1.versionless()).sizeBits());
    assertEquals(v2, provider.describe(v1.versionless()).reference());
  }

  @Test
  void versions_acrossKeys_areNeverReused() {
    KeyReference a = provider.manager().importKey("a", rsa2048);
    KeyReference b = provider.manager().importKey("b", rsa2048b);
    assertNotEquals(a.version(), b.version());
  }

  // ------------------------------------------------------------------------- usable or not

  @Test
  void wrapAndUnwrap_disabledVersion_throwKeyDisabled() {
    KeyReference v = provider.manager().importKey("disabled", rsa2048);
    WrappedKey wrapped = provider.wrap(v, dataKey());
    provider.manager().setEnabled(v, false);
    assertEquals(
        Reason.KEY_DISABLED,
        assertThrows(KeyAccessDeniedException.class, () -> provider.wrap(v, dataKey())).reason());
    assertEquals(
        Reason.KEY_DISABLED,
        assertThrows(KeyAccessDeniedException.class, () -> provider.unwrap(wrapped)).reason());
    assertFalse(provider.describe(v).enabled(), "describe still works on a disabled version");
    assertTrue(provider.publicKey(v).isPresent());
  }

  @Test
  void unwrap_afterExpiry_throwsKeyNotValidNow() {
    KeyReference v = provider.manager().importKey("expiring", rsa2048);
    SecretBytes dk = dataKey();
    WrappedKey wrapped = provider.wrap(v, dk);
    provider.manager().setExpiry(v, clock.instant().plus(Duration.ofDays(1)));
    assertArrayEquals(dk.copy(), provider.unwrap(wrapped).copy());
    clock.advance(Duration.ofDays(1));
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> provider.unwrap(wrapped));
    assertEquals(Reason.KEY_NOT_VALID_NOW, e.reason());
    assertEquals(
        Reason.KEY_NOT_VALID_NOW,
        assertThrows(KeyAccessDeniedException.class, () -> provider.wrap(v, dk)).reason());
    provider.manager().setExpiry(v, null);
    assertArrayEquals(dk.copy(), provider.unwrap(wrapped).copy());
  }

  @Test
  void wrap_beforeNotBefore_throwsKeyNotValidNowUntilTheTimeComes() {
    KeyReference v = provider.manager().importKey("not-yet", rsa2048);
    Instant start = clock.instant().plus(Duration.ofHours(2));
    provider.manager().setNotBefore(v, start);
    assertEquals(start, provider.describe(v).notBefore());
    assertEquals(
        Reason.KEY_NOT_VALID_NOW,
        assertThrows(KeyAccessDeniedException.class, () -> provider.wrap(v, dataKey())).reason());
    clock.set(start);
    provider.wrap(v, dataKey());
  }

  @Test
  void wrapAndUnwrap_operationNotPermitted_throwOperationNotPermitted() {
    KeyReference v = provider.manager().importKey("no-ops", rsa2048);
    WrappedKey wrapped = provider.wrap(v, dataKey());
    provider.manager().setOperations(v, Set.of(KeyOperation.WRAP_KEY));
    provider.wrap(v, dataKey());
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> provider.unwrap(wrapped));
    assertEquals(Reason.OPERATION_NOT_PERMITTED, e.reason());
    assertTrue(e.getMessage().contains("unwrapKey"), e.getMessage());
    provider.manager().setOperations(v, Set.of(KeyOperation.UNWRAP_KEY));
    assertEquals(
        Reason.OPERATION_NOT_PERMITTED,
        assertThrows(KeyAccessDeniedException.class, () -> provider.wrap(v, dataKey())).reason());
    provider.unwrap(wrapped);
  }

  @Test
  void lifecycleSetters_versionlessReference_throwIllegalArgument() {
    KeyReference v = provider.manager().importKey("setters", rsa2048);
    KeyReference key = v.versionless();
    assertThrows(IllegalArgumentException.class, () -> provider.manager().setEnabled(key, false));
    assertThrows(IllegalArgumentException.class, () -> provider.manager().setExpiry(key, Instant.EPOCH));
    assertThrows(IllegalArgumentException.class, () -> provider.manager().setNotBefore(key, Instant.EPOCH));
    assertThrows(IllegalArgumentException.class, () -> provider.manager().setOperations(key, Set.of()));
    assertThrows(IllegalArgumentException.class, () -> provider.exportPrivateKey(key));
    assertThrows(IllegalArgumentException.class, () -> provider.publicKey(key));
  }

  @Test
  void lifecycleSetters_unknownVersion_throwKeyNotFound() {
    KeyReference v = provider.manager().importKey("setters-unknown", rsa2048);
    KeyReference unknown = v.withVersion("99999999");
    assertThrows(KeyNotFoundException.class, () -> provider.manager().setEnabled(unknown, false));
    assertThrows(KeyNotFoundException.class, () -> provider.exportPrivateKey(unknown));
  }

  @Test
  void describe_nonLocalReference_throwsKeyNotFoundAndIsNotServed() {
    KeyReference azure = KeyReference.parse("https://myvault.vault.azure.net/keys/k");
    assertFalse(provider.serves(azure));
    assertThrows(KeyNotFoundException.class, () -> provider.describe(azure));
  }

  @Test
  void serves_localKeyNotCreated_returnsTrueButDescribeThrowsKeyNotFound() {
    KeyReference ref = KeyReference.local("missing", null);
    assertTrue(provider.serves(ref));
    assertThrows(KeyNotFoundException.class, () -> provider.describe(ref));
  }

  @Test
  void wrap_dataKeyTooLongForOaep_throwsIllegalArgumentWithoutTheBytes() {
    KeyReference v = provider.manager().importKey("too-long", rsa2048);
    byte[] big = new byte[191]; // RSA-2048 OAEP-256 takes at most 190 bytes
    java.util.Arrays.fill(big, (byte) 0x5a);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> provider.wrap(v, SecretBytes.copyOf(big)));
    assertFalse(e.getMessage().contains("5a") || e.getMessage().contains("5A"), e.getMessage());
    assertEquals(190, provider.unwrap(provider.wrap(v, SecretBytes.copyOf(new byte[190]))).length());
  }

  @Test
  void wrap_destroyedDataKey_throwsIllegalState() {
    KeyReference v = provider.manager().importKey("destroyed", rsa2048);
    SecretBytes dk = dataKey();
    dk.destroy();
    assertThrows(IllegalStateException.class, () -> provider.wrap(v, dk));
  }

  @Test
  void unwrap_returnsSecretOwnedByCaller() {
    KeyReference v = provider.manager().importKey("owned", rsa2048);
    WrappedKey wrapped = provider.wrap(v, dataKey());
    SecretBytes first = provider.unwrap(wrapped);
    first.destroy();
    assertFalse(provider.unwrap(wrapped).isDestroyed(), "each unwrap returns a fresh secret");
  }

  // ----------------------------------------------------------------- soft delete, recover, purge

  @Test
  void delete_softDelete_keyNotFoundUntilRecovered() {
    KeyReference v = provider.manager().importKey("recoverable", rsa2048);
    SecretBytes dk = dataKey();
    WrappedKey wrapped = provider.wrap(v, dk);
    provider.manager().deleteKey(v.versionless());
    assertThrows(KeyNotFoundException.class, () -> provider.describe(v));
    assertThrows(KeyNotFoundException.class, () -> provider.wrap(v, dk));
    assertThrows(KeyNotFoundException.class, () -> provider.unwrap(wrapped));
    assertThrows(KeyNotFoundException.class, () -> provider.manager().listVersions(v));
    assertThrows(KeyNotFoundException.class, () -> provider.manager().deleteKey(v), "already deleted");
    assertThrows(
        IllegalStateException.class, () -> provider.manager().importKey("recoverable", rsa2048b), "name taken");
    provider.manager().recoverKey(v);
    assertArrayEquals(dk.copy(), provider.unwrap(wrapped).copy());
  }

  @Test
  void recover_keyNotDeleted_throwsIllegalState() {
    KeyReference v = provider.manager().importKey("active", rsa2048);
    assertThrows(IllegalStateException.class, () -> provider.manager().recoverKey(v));
    assertThrows(KeyNotFoundException.class, () -> provider.manager().recoverKey(KeyReference.local("nope", null)));
  }

  @Test
  void purge_withPurgeProtection_throwsIllegalState() {
    KeyReference v = provider.manager().importKey("protected", rsa2048);
    provider.manager().deleteKey(v);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> provider.manager().purgeKey(v));
    assertTrue(e.getMessage().contains("purge protection"), e.getMessage());
    provider.manager().recoverKey(v);
    provider.describe(v);
  }

  @Test
  void purge_withoutPurgeProtection_removesKeyForGood() {
    InMemoryKeyProvider p =
        InMemoryKeyProvider.builder()
            .vaultProtection(VaultProtection.fromAzureRecoveryLevel("Recoverable+Purgeable", 7))
            .build();
    KeyReference v = p.manager().importKey("purgeable", rsa2048);
    assertThrows(IllegalStateException.class, () -> p.manager().purgeKey(v), "must be deleted first");
    p.manager().deleteKey(v);
    p.manager().purgeKey(v);
    assertThrows(KeyNotFoundException.class, () -> p.manager().recoverKey(v));
    KeyReference again = p.manager().importKey("purgeable", rsa2048b);
    assertNotEquals(v, again, "a recreated key gets a new version");
  }

  @Test
  void delete_retentionOver_keyIsPurgedAutomatically() {
    KeyReference v = provider.manager().importKey("retention", rsa2048);
    provider.manager().deleteKey(v);
    clock.advance(Duration.ofDays(90).minusSeconds(1));
    provider.manager().recoverKey(v);
    provider.manager().deleteKey(v);
    clock.advance(Duration.ofDays(90));
    assertThrows(KeyNotFoundException.class, () -> provider.manager().recoverKey(v));
    provider.manager().importKey("retention", rsa2048b);
  }

  @Test
  void delete_withoutSoftDelete_removesAtOnce() {
    InMemoryKeyProvider p =
        InMemoryKeyProvider.builder().vaultProtection(VaultProtection.none()).build();
    KeyReference v = p.manager().importKey("gone", rsa2048);
    assertEquals(VaultProtection.none(), p.describe(v).vaultProtection());
    p.manager().deleteKey(v);
    assertThrows(UnsupportedOperationException.class, () -> p.manager().recoverKey(v),
        "no soft delete: nothing to recover");
    assertThrows(KeyNotFoundException.class, () -> p.describe(v));
    assertThrows(KeyNotFoundException.class, () -> p.manager().listVersions(v));
  }

  // ---------------------------------------------------------------------------- interoperability

  @Test
  void wrap_decryptsWithJdkOaepSha256AndMgf1Sha256() throws Exception {
    KeyReference v = provider.manager().importKey("interop", rsa2048);
    SecretBytes dk = dataKey();
    WrappedKey wrapped = provider.wrap(v, dk);
    assertEquals(WrapAlgorithm.RSA_OAEP_256, wrapped.algorithm());
    assertEquals(256, wrapped.ciphertextLength());

    Cipher jdk = Cipher.getInstance("RSA/ECB/OAEPPadding");
    jdk.init(Cipher.DECRYPT_MODE, provider.exportPrivateKey(v), OAEP_256);
    assertArrayEquals(dk.copy(), jdk.doFinal(wrapped.ciphertext()));

    // The JDK's default MGF1 digest for OAEPWithSHA-256 is SHA-1: that must NOT decrypt.
    Cipher mgf1Sha1 = Cipher.getInstance("RSA/ECB/OAEPPadding");
    mgf1Sha1.init(Cipher.DECRYPT_MODE, provider.exportPrivateKey(v), OAEP_256_MGF1_SHA1);
    assertThrows(BadPaddingException.class, () -> mgf1Sha1.doFinal(wrapped.ciphertext()));
  }

  @Test
  void unwrap_jdkWrappedWithDefaultMgf1Sha1_throwsInvalidCiphertext() throws Exception {
    KeyReference v = provider.manager().importKey("mgf1-sha1", rsa2048);
    Cipher jdk = Cipher.getInstance("RSA/ECB/OAEPPadding");
    jdk.init(Cipher.ENCRYPT_MODE, rsa2048.getPublic(), OAEP_256_MGF1_SHA1);
    WrappedKey wrapped =
        new WrappedKey(provider.id(), v, WrapAlgorithm.RSA_OAEP_256, jdk.doFinal(new byte[32]));
    assertThrows(InvalidCiphertextException.class, () -> provider.unwrap(wrapped));
  }

  @Test
  void unwrap_rsaOaepSha1WrappedKey_unwraps() throws Exception {
    KeyReference v = provider.manager().importKey("oaep-sha1", rsa2048);
    byte[] dk = new byte[32];
    dk[0] = 7;
    Cipher jdk = Cipher.getInstance("RSA/ECB/OAEPPadding");
    jdk.init(Cipher.ENCRYPT_MODE, rsa2048.getPublic(), OAEP_SHA1);
    byte[] ct = jdk.doFinal(dk);
    assertArrayEquals(
        dk, provider.unwrap(new WrappedKey(provider.id(), v, WrapAlgorithm.RSA_OAEP_SHA1, ct)).copy());
    assertThrows(
        InvalidCiphertextException.class,
        () -> provider.unwrap(new WrappedKey(provider.id(), v, WrapAlgorithm.RSA_OAEP_256, ct)),
        "the algorithm named in the wrapped key is the one used");
  }

  @Test
  void unwrap_validOaepOfEmptyMessage_throwsInvalidCiphertext() throws Exception {
    KeyReference v = provider.manager().importKey("empty", rsa2048);
    Cipher jdk = Cipher.getInstance("RSA/ECB/OAEPPadding");
    jdk.init(Cipher.ENCRYPT_MODE, rsa2048.getPublic(), OAEP_256);
    WrappedKey wrapped =
        new WrappedKey(provider.id(), v, WrapAlgorithm.RSA_OAEP_256, jdk.doFinal(new byte[0]));
    assertThrows(InvalidCiphertextException.class, () -> provider.unwrap(wrapped));
  }

  @Test
  void exportPrivateKey_matchesPublicKey() {
    KeyReference v = provider.manager().createKey("export", 2048);
    RSAPrivateCrtKey priv = (RSAPrivateCrtKey) provider.exportPrivateKey(v);
    RSAPublicKey pub = (RSAPublicKey) provider.publicKey(v).orElseThrow();
    assertEquals(pub.getModulus(), priv.getModulus());
    assertEquals(pub.getPublicExponent(), priv.getPublicExponent());
  }

  @Test
  void toString_neverShowsKeyMaterial() {
    KeyReference v = provider.manager().importKey("tostring", rsa2048);
    provider.wrap(v, dataKey());
    String s = provider.toString();
    assertTrue(s.contains("in-memory") && s.contains("keys=1"), s);
    String modulusHex = ((RSAPublicKey) rsa2048.getPublic()).getModulus().toString(16);
    assertFalse(s.contains(modulusHex.substring(0, 16)), s);
  }
}
