package dev.cmk.azure;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.KeyPolicy;
import dev.cmk.testkit.TestKeyDescriptions;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Interoperability with the real algorithm, not just with ourselves: what the Azure provider wraps
 * is unwrapped by plain JDK RSA-OAEP-256 on the loopback vault's exported private key, and the
 * other way round; whole cmk envelopes cross over the same way.
 */
class InteropIT {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static LoopbackVault vault;
  private static AzureKeyVaultProvider azure;

  @BeforeAll
  static void setUp() {
    vault = LoopbackFixture.server().vault(LoopbackFixture.PROTECTED_VAULT);
    VaultIdentity app = LoopbackFixture.server().createApplication("interop-it");
    vault.grant(app, KeyPermission.cryptoServiceEncryptionUser());
    azure = LoopbackFixture.providerBuilder().credential(LoopbackFixture.staticCredential(app)).build();
  }

  @AfterAll
  static void tearDown() {
    azure.close();
  }

  private static KeyReference newKey(int bits) {
    return vault.createRsaHsmKey("interop-" + HexFormat.of().toHexDigits(RANDOM.nextInt()), bits);
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  static byte[] jdk(int mode, Key key, WrapAlgorithm algorithm, byte[] input) {
    try {
      Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
      OAEPParameterSpec spec =
          algorithm == WrapAlgorithm.RSA_OAEP_256
              ? new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT)
              : new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT);
      c.init(mode, key, spec);
      return c.doFinal(input);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void providerWrap_unwrapsWithJdkOaep256OnExportedPrivateKey() {
    for (int bits : new int[] {2048, 3072}) {
      KeyReference version = newKey(bits);
      byte[] dataKey = random(32);
      WrappedKey wrapped = azure.wrap(version, SecretBytes.copyOf(dataKey));
      assertArrayEquals(
          dataKey, jdk(Cipher.DECRYPT_MODE, vault.exportPrivateKey(version), wrapped.algorithm(), wrapped.ciphertext()));
    }
  }

  @Test
  void jdkOaepWrapUnderVaultPublicKey_unwrapsThroughProvider_oaep256AndOaepSha1() {
    KeyReference version = newKey(2048);
    for (WrapAlgorithm algorithm : WrapAlgorithm.values()) {
      byte[] dataKey = random(32);
      byte[] ct = jdk(Cipher.ENCRYPT_MODE, vault.publicKey(version), algorithm, dataKey);
      assertArrayEquals(
          dataKey,
          azure.unwrap(new WrappedKey(AzureKeyVaultProvider.ID, version, algorithm, ct)).copy(),
          algorithm.jwaName());
    }
  }

  @Test
  void providerPublicKey_isTheVaultsPublicKey() {
    KeyReference version = newKey(2048);
    assertEquals(vault.publicKey(version), azure.publicKey(version).orElseThrow());
  }

  @Test
  void envelope_writtenThroughAzure_decryptsWithJdkUnwrap_andViceVersa() {
    KeyReference version = newKey(3072);
    JdkOaepProvider jdk = new JdkOaepProvider(vault, version);
    byte[] plaintext = "{\"resourceType\":\"Patient\",\"id\":\"123\"}".getBytes(UTF_8);
    byte[] aad = "Patient/123/_history/1".getBytes(UTF_8);
    try (EnvelopeCrypto viaAzure = EnvelopeCrypto.builder().provider(azure).writeKey(version.versionless()).build();
        EnvelopeCrypto viaJdk = EnvelopeCrypto.builder().provider(jdk).writeKey(version).build()) {
      byte[] written = viaAzure.encrypt(plaintext, aad);
      assertEquals(AzureKeyVaultProvider.ID, EnvelopeInfo.of(written).providerId());
      assertEquals(version, EnvelopeInfo.of(written).keyReference());
      assertArrayEquals(plaintext, viaJdk.decrypt(written, aad));
      assertTrue(jdk.unwraps > 0, "the JDK side really unwrapped");

      byte[] writtenByJdk = viaJdk.encrypt(plaintext, aad);
      assertTrue(jdk.wraps > 0);
      assertArrayEquals(plaintext, viaAzure.decrypt(writtenByJdk, aad));
    }
  }

  @Test
  void fhirPolicy_rejectsKeyInVaultWithoutPurgeProtection_acceptsProtectedVault() {
    LoopbackVault unprotected = LoopbackFixture.server().vault(LoopbackFixture.VAULT);
    VaultIdentity reader = LoopbackFixture.server().createApplication("policy-reader");
    unprotected.grant(reader, KeyPermission.GET);
    vault.grant(reader, KeyPermission.GET);
    KeyReference weak = unprotected.createRsaKey("policy-" + HexFormat.of().toHexDigits(RANDOM.nextInt()), 2048);
    KeyReference strong = vault.createRsaKey("policy-" + HexFormat.of().toHexDigits(RANDOM.nextInt()), 2048);
    try (AzureKeyVaultProvider p = LoopbackFixture.providerBuilder().credential(LoopbackFixture.staticCredential(reader)).build()) {
      KeyPolicy fhir = KeyPolicy.fhirService();
      assertTrue(
          fhir.check(p.describe(weak), Instant.now()).stream().anyMatch(v -> v.rule().equals(KeyPolicy.RULE_PURGE_PROTECTION)),
          "vault without purge protection violates the FHIR preset");
      assertEquals(java.util.List.of(), fhir.check(p.describe(strong), Instant.now()));
    }
  }

  /** The same Key Vault key seen through plain JDK RSA-OAEP on the exported key material. */
  static final class JdkOaepProvider implements KeyEncryptionKeyProvider {
    private final LoopbackVault vault;
    private final KeyReference version;
    volatile int wraps;
    volatile int unwraps;

    JdkOaepProvider(LoopbackVault vault, KeyReference version) {
      this.vault = vault;
      this.version = version;
    }

    @Override
    public String id() {
      return AzureKeyVaultProvider.ID;
    }

    @Override
    public boolean serves(KeyReference reference) {
      return reference.sameKeyAs(version);
    }

    @Override
    public KeyDescription describe(KeyReference reference) {
      return TestKeyDescriptions.usable(
          version, KeyType.RSA_HSM, vault.publicKey(version).getModulus().bitLength());
    }

    @Override
    public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
      byte[] plain = dataKey.copy();
      try {
        wraps++;
        return new WrappedKey(id(), reference, WrapAlgorithm.RSA_OAEP_256,
            jdk(Cipher.ENCRYPT_MODE, vault.publicKey(reference), WrapAlgorithm.RSA_OAEP_256, plain));
      } finally {
        Arrays.fill(plain, (byte) 0);
      }
    }

    @Override
    public SecretBytes unwrap(WrappedKey wrappedKey) {
      assertFalse(wrappedKey.keyReference().toString().isEmpty());
      unwraps++;
      return SecretBytes.wrapOwned(
          jdk(Cipher.DECRYPT_MODE, vault.exportPrivateKey(wrappedKey.keyReference()), wrappedKey.algorithm(), wrappedKey.ciphertext()));
    }

    @Override
    public Optional<PublicKey> publicKey(KeyReference reference) {
      return Optional.of(vault.publicKey(reference));
    }
  }
}
