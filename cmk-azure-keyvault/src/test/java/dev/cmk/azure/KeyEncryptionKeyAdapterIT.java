package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.azure.core.cryptography.AsyncKeyEncryptionKey;
import com.azure.core.cryptography.KeyEncryptionKey;
import com.azure.core.cryptography.KeyEncryptionKeyResolver;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** azure-core's KeyEncryptionKey / resolver adapters over the same configured Key Vault keys. */
class KeyEncryptionKeyAdapterIT {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static LoopbackVault vault;
  private static AzureKeyVaultProvider provider;

  @BeforeAll
  static void setUp() {
    vault = LoopbackFixture.server().vault(LoopbackFixture.VAULT);
    VaultIdentity app = LoopbackFixture.server().createApplication("adapter-it");
    vault.grant(app, KeyPermission.cryptoServiceEncryptionUser());
    provider = LoopbackFixture.providerBuilder().credential(LoopbackFixture.staticCredential(app)).build();
  }

  @AfterAll
  static void tearDown() {
    provider.close();
  }

  private static KeyReference newKey() {
    return vault.createRsaKey("adapter-" + HexFormat.of().toHexDigits(RANDOM.nextInt()), 2048);
  }

  private static byte[] cek() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return b;
  }

  @Test
  void keyEncryptionKey_versionlessKey_pinsLatestVersionAndRoundTrips() {
    KeyReference v1 = newKey();
    KeyReference v2 = vault.rotateKey(v1.name());
    KeyEncryptionKey kek = AzureKeyEncryptionKeys.keyEncryptionKey(provider, v1.versionless());
    assertEquals(v2.toString(), kek.getKeyId());
    byte[] cek = cek();
    byte[] wrapped = kek.wrapKey("RSA-OAEP-256", cek);
    assertEquals(256, wrapped.length);
    assertArrayEquals(cek, kek.unwrapKey("RSA-OAEP-256", wrapped));
  }

  @Test
  void adapterAndProvider_shareTheKey_inBothDirections() {
    KeyReference version = newKey();
    KeyEncryptionKey kek = AzureKeyEncryptionKeys.keyEncryptionKey(provider, version);
    byte[] cek = cek();
    byte[] byAdapter = kek.wrapKey("RSA-OAEP-256", cek);
    assertArrayEquals(
        cek,
        provider.unwrap(new WrappedKey(AzureKeyVaultProvider.ID, version, WrapAlgorithm.RSA_OAEP_256, byAdapter)).copy());
    WrappedKey byProvider = provider.wrap(version, SecretBytes.copyOf(cek));
    assertArrayEquals(cek, kek.unwrapKey("RSA-OAEP-256", byProvider.ciphertext()));
  }

  @Test
  void resolver_keyIdStoredWithData_resolvesToAKeyThatUnwraps() {
    KeyReference version = newKey();
    KeyEncryptionKey writer = AzureKeyEncryptionKeys.keyEncryptionKey(provider, version.versionless());
    byte[] cek = cek();
    byte[] wrapped = writer.wrapKey("RSA-OAEP-256", cek);
    String storedKeyId = writer.getKeyId();

    KeyEncryptionKeyResolver resolver = AzureKeyEncryptionKeys.resolver(provider);
    assertArrayEquals(cek, resolver.buildKeyEncryptionKey(storedKeyId).unwrapKey("RSA-OAEP-256", wrapped));

    AsyncKeyEncryptionKey async =
        AzureKeyEncryptionKeys.asyncResolver(provider).buildAsyncKeyEncryptionKey(storedKeyId).block(Duration.ofSeconds(30));
    assertEquals(storedKeyId, async.getKeyId().block(Duration.ofSeconds(5)));
    assertArrayEquals(cek, async.unwrapKey("RSA-OAEP-256", wrapped).block(Duration.ofSeconds(30)));
    byte[] again = async.wrapKey("RSA-OAEP-256", cek).block(Duration.ofSeconds(30));
    assertArrayEquals(cek, writer.unwrapKey("RSA-OAEP-256", again));
  }

  @Test
  void adapter_unsupportedAlgorithmOrForeignKey_isRejected() {
    KeyReference version = newKey();
    KeyEncryptionKey kek = AzureKeyEncryptionKeys.keyEncryptionKey(provider, version);
    assertThrows(IllegalArgumentException.class, () -> kek.wrapKey("RSA1_5", cek()));
    assertThrows(IllegalArgumentException.class, () -> kek.wrapKey("RSA-OAEP", cek()));
    KeyEncryptionKeyResolver resolver = AzureKeyEncryptionKeys.resolver(provider);
    assertThrows(IllegalArgumentException.class, () -> resolver.buildKeyEncryptionKey("https://example.com/keys/x"));
    assertThrows(
        KeyNotFoundException.class,
        () -> resolver.buildKeyEncryptionKey("https://othervault.vault.azure.net/keys/x/0123456789abcdef0123456789abcdef"));
  }
}
