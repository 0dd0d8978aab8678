package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import dev.cmk.api.KeyReference;
import dev.cmk.azure.AzureKeyVaultProvider;
import dev.cmk.azure.AzureKeyVaultProviderBuilder;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * {@code cmk decrypt}, {@code rewrap} and {@code inspect} against two real vaults (the loopback Key
 * Vault, reached by the real Azure SDK over HTTPS under the vaults' real host names): an envelope
 * naming a vault the user did not allow fails with exit 3 and that vault receives <em>no</em>
 * request, while the same envelope decrypts once the vault is allowed (so the request counter
 * would have seen a call).
 */
class CmkVaultAllowListIT {
  private static LoopbackKeyVault server;
  private static LoopbackVault own;
  private static LoopbackVault foreign;
  private static HttpClient httpClient;
  private static VaultIdentity identity;
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;

  private KeyReference ownKey;
  private KeyReference foreignKey;

  @BeforeAll
  static void startVaults() {
    server = LoopbackKeyVault.builder().keyVault("cmkcli").keyVault("cmkforeign").build();
    own = server.vault("cmkcli");
    foreign = server.vault("cmkforeign");
    identity = server.createApplication("cmk-cli-it");
    for (LoopbackVault v : new LoopbackVault[] {own, foreign}) {
      v.setPurgeProtection(true);
      v.grant(identity, KeyPermission.cryptoServiceEncryptionUser());
    }
    httpClient =
        new JdkHttpClientBuilder(
                java.net.http.HttpClient.newBuilder().sslContext(server.clientSslContext()))
            .responseTimeout(Duration.ofSeconds(20))
            .build();
  }

  @AfterAll
  static void stopVaults() {
    server.close();
  }

  @BeforeEach
  void keys() {
    String name = "kek-" + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE);
    ownKey = own.createRsaKey(name, 2048).versionless();
    foreignKey = foreign.createRsaKey(name, 2048).versionless();
  }

  /** The CLI with a loopback transport and a token the loopback tenant issued. */
  private CliFixture cli() {
    CliFixture cli = new CliFixture(dir);
    TokenCredential credential =
        request -> Mono.just(new AccessToken(
            server.issueToken(identity, request.getScopes().get(0)),
            OffsetDateTime.now().plusMinutes(30)));
    // The real provider, built from the settings the tool produced, plus the loopback transport
    // and a loopback token (which the real factory has no settings for).
    cli.factoryOverrides.put("azure-keyvault", CliFixture.factory("azure-keyvault", settings -> {
      assertEquals("default-azure-credential", settings.get("credential"));
      assertTrue(!settings.get("vaults").contains("*"), "never any vault: " + settings);
      AzureKeyVaultProviderBuilder b =
          AzureKeyVaultProvider.builder().httpClient(httpClient).credential(credential);
      for (String v : settings.get("vaults").split(",")) {
        b.addVault(v);
      }
      return b.build();
    }));
    return cli;
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** An envelope under {@code key}, written by {@code cmk encrypt} (its -k vault is allowed). */
  private byte[] encrypt(CliFixture cli, KeyReference key, byte[] plaintext) {
    CliFixture.Result enc = cli.runWithInput(plaintext, "encrypt", "-k", key.toString(), "--aad", "it");
    assertEquals(0, enc.exitCode(), enc.toString());
    return enc.stdout();
  }

  @Test
  void decrypt_envelopeInVaultNotAllowed_exit3AndThatVaultGetsNoRequest() {
    CliFixture cli = cli();
    byte[] plaintext = randomBytes(50_000);
    byte[] envelope = encrypt(cli, foreignKey, plaintext);
    foreign.clearRequests();
    own.clearRequests();

    CliFixture.Result byOption =
        cli.runWithInput(envelope, "decrypt", "--aad", "it", "--vault", own.vaultUrl());
    cli.env.put("CMK_VAULTS", own.vaultUrl());
    CliFixture.Result byEnvironment = cli.runWithInput(envelope, "decrypt", "--aad", "it");
    cli.env.remove("CMK_VAULTS");
    CliFixture.Result unconfigured = cli.runWithInput(envelope, "decrypt", "--aad", "it");

    for (CliFixture.Result r : new CliFixture.Result[] {byOption, byEnvironment, unconfigured}) {
      assertEquals(ExitCode.KEY_ACCESS, r.exitCode(), r.toString());
      assertEquals(0, r.stdout().length, r.toString());
      assertTrue(r.stderr().contains("is in " + foreign.vaultUrl() + ", which is not an allowed vault"),
          r.stderr());
      assertTrue(r.stderr().contains("--vault " + foreign.vaultUrl()), r.stderr());
    }
    assertEquals(0, foreign.requestCount(), "requests reached the vault not allowed: " + foreign.requests());
    assertEquals(0, own.requestCount(), "nothing to ask the allowed vault either");

    // Control: allowed, the same envelope decrypts, through requests the counter does see.
    CliFixture.Result allowed =
        cli.runWithInput(envelope, "decrypt", "--aad", "it", "--vault", foreign.vaultUrl());
    assertEquals(0, allowed.exitCode(), allowed.toString());
    assertArrayEquals(plaintext, allowed.stdout());
    assertTrue(foreign.requestCount() > 0, "an allowed vault is called for the unwrap");
  }

  @Test
  void rewrap_envelopeInVaultNotAllowed_failsAloneWithoutRequestsOthersMove() throws IOException {
    CliFixture cli = cli();
    Path tree = dir.resolve("store");
    Files.createDirectories(tree);
    Path ownFile = tree.resolve("own.cmk");
    Path foreignFile = tree.resolve("foreign.cmk");
    Files.write(ownFile, encrypt(cli, ownKey, randomBytes(1_000)));
    byte[] foreignBytes = encrypt(cli, foreignKey, randomBytes(1_000));
    Files.write(foreignFile, foreignBytes);
    KeyReference v2 = own.rotateKey(ownKey.name());
    foreign.clearRequests();

    CliFixture.Result r = cli.run("rewrap", "-k", ownKey.toString(), tree.toString());

    assertAll(
        () -> assertEquals(ExitCode.KEY_ACCESS, r.exitCode(), r.toString()),
        () -> assertTrue(r.out().contains("Re-wrap to " + v2), r.out()),
        () -> assertTrue(r.out().matches("(?s).*  re-wrapped +1  \\(from .*"), r.out()),
        () -> assertTrue(r.out().matches("(?s).*  failed +1\n.*"), r.out()),
        () -> assertTrue(r.stderr().contains("failed: " + foreignFile + ": key "), r.stderr()),
        () -> assertTrue(r.stderr().contains("which is not an allowed vault"), r.stderr()),
        () -> assertArrayEquals(foreignBytes, Files.readAllBytes(foreignFile)),
        () -> assertEquals(0, foreign.requestCount(), "requests reached the vault not allowed: "
            + foreign.requests()));
    CliFixture.Result inspected = cli.run("inspect", ownFile.toString());
    assertTrue(inspected.out().contains("key reference   " + v2), inspected.out());
  }

  @Test
  void inspect_envelopeOfAnyVault_printsHeaderWithoutRequests() {
    CliFixture cli = cli();
    byte[] envelope = encrypt(cli, foreignKey, randomBytes(10));
    foreign.clearRequests();
    CliFixture.Result r = cli.runWithInput(envelope, "inspect");
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.out().contains("key provider    azure-keyvault"), r.out());
    assertTrue(r.out().contains("key             " + foreignKey), r.out());
    assertEquals(0, foreign.requestCount());
  }
}
