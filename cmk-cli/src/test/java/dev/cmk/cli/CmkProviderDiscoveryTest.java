package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Providers come from {@code ServiceLoader} discovery ({@code ProviderDiscovery} and the providers'
 * {@code KeyEncryptionKeyProviderFactory}s), built from settings that name where a secret is and
 * never carry it, and the allow-list is decided before discovery even runs.
 */
class CmkProviderDiscoveryTest {
  private static final String VAULT_A = "https://contoso-a.vault.azure.net";
  private static final String VAULT_B = "https://contoso-b.vault.azure.net";
  private static final String AZURE_KEY = VAULT_B + "/keys/kek/0123456789abcdef0123456789abcdef";
  private static final String TOKEN_KEY = "pkcs11:token=tenant-hsm;object=kek;id=v1";
  private static final String PIN = "135791";

  @TempDir Path dir;

  /** A factory for {@code id} that records the settings it gets and then fails as unavailable. */
  private static KeyEncryptionKeyProviderFactory recorder(String id, List<Map<String, String>> seen) {
    return CliFixture.factory(id, settings -> {
      seen.add(settings);
      throw new IllegalStateException(id + " test factory: not connecting");
    });
  }

  @Test
  void serviceLoader_findsTheThreeProviderFactoriesOfTheProviderModules() {
    Map<String, KeyEncryptionKeyProviderFactory> found = ProviderFactories.SERVICE_LOADER.discover();
    assertEquals(Set.of("keystore", "pkcs11", "azure-keyvault"), found.keySet());
    assertAll(
        () -> assertEquals("dev.cmk.keystore.internal.KeystoreKeyProviderFactory",
            found.get("keystore").getClass().getName()),
        () -> assertEquals("dev.cmk.softhsm.internal.Pkcs11KeyProviderFactory",
            found.get("pkcs11").getClass().getName()),
        () -> assertEquals("dev.cmk.azure.internal.AzureKeyVaultProviderFactory",
            found.get("azure-keyvault").getClass().getName()));
  }

  @Test
  void keystore_builtByItsFactoryFromSettingsNamingThePasswordSource() throws Exception {
    CliFixture cli = new CliFixture(dir);
    List<Map<String, String>> seen = Collections.synchronizedList(new ArrayList<>());
    KeyEncryptionKeyProviderFactory real = cli.realFactory("keystore");
    cli.factoryOverrides.put("keystore", CliFixture.factory("keystore", settings -> {
      seen.add(settings);
      return real.create(settings);
    }));
    Path passwordFile = dir.resolve("pw");
    Files.writeString(passwordFile, CliFixture.PASSWORD);

    String v1 = cli.createKey("found", 2048);
    CliFixture.Result list = cli.run("keys", "list");
    CliFixture.Result byFile =
        cli.run("keys", "list", "--keystore-password-file", passwordFile.toString());

    assertEquals(ExitCode.OK, list.exitCode(), list.toString());
    assertEquals(ExitCode.OK, byFile.exitCode(), byFile.toString());
    assertTrue(list.out().contains(v1.substring(v1.indexOf('/') + 1)), list.out());
    String path = cli.keystore.toString();
    assertEquals(List.of(
        Map.of("path", path, "create", "true", "password-env", "CMK_KEYSTORE_PASSWORD"),
        Map.of("path", path, "create", "false", "password-env", "CMK_KEYSTORE_PASSWORD"),
        Map.of("path", path, "create", "false", "password-file", passwordFile.toString())), seen);
    assertEquals(List.of("keystore", "keystore", "keystore"), cli.built);
  }

  @Test
  void pkcs11_settingsNameLibraryTokenAndPinSource_neverThePin() {
    CliFixture cli = new CliFixture(dir);
    List<Map<String, String>> seen = new ArrayList<>();
    cli.factoryOverrides.put("pkcs11", recorder("pkcs11", seen));
    cli.env.put("CMK_PKCS11_LIBRARY", "/opt/hsm/libvendor.so");
    cli.env.put("CMK_PKCS11_PIN", PIN);
    byte[] envelope = Envelopes.naming("pkcs11", TOKEN_KEY);

    CliFixture.Result byEnv = cli.runWithInput(envelope, "decrypt", "--pkcs11-token", "tenant-hsm");
    CliFixture.Result byFile = cli.runWithInput(envelope, "decrypt", "--pkcs11-token", "tenant-hsm",
        "--pin-file", "/run/secrets/pin", "--pkcs11-library", "/usr/lib/softhsm/libsofthsm2.so");

    assertEquals(ExitCode.PROVIDER_UNAVAILABLE, byEnv.exitCode(), byEnv.toString());
    assertEquals(ExitCode.PROVIDER_UNAVAILABLE, byFile.exitCode(), byFile.toString());
    assertEquals(List.of(
        Map.of("library", "/opt/hsm/libvendor.so", "token", "tenant-hsm", "pin-env", "CMK_PKCS11_PIN"),
        Map.of("library", "/usr/lib/softhsm/libsofthsm2.so", "token", "tenant-hsm",
            "pin-file", "/run/secrets/pin")), seen);
    assertFalse(seen.toString().contains(PIN));
    assertFalse((byEnv.stderr() + byFile.stderr()).contains(PIN));
  }

  @Test
  void azure_settingsAreExactlyTheAllowedVaultsAndTheChosenCredential() {
    CliFixture cli = new CliFixture(dir);
    List<Map<String, String>> seen = new ArrayList<>();
    cli.factoryOverrides.put("azure-keyvault", recorder("azure-keyvault", seen));
    byte[] envelope = Envelopes.naming("azure-keyvault", AZURE_KEY);

    cli.runWithInput(envelope, "decrypt", "--vault", VAULT_A, "--vault", VAULT_B);
    cli.runWithInput(envelope, "decrypt", "--vault", VAULT_B, "--managed-identity");
    cli.env.put("CMK_VAULTS", VAULT_B + "," + VAULT_A);
    CliFixture.Result user =
        cli.runWithInput(envelope, "decrypt", "--managed-identity=11111111-2222-3333-4444-555555555555");

    assertEquals(ExitCode.PROVIDER_UNAVAILABLE, user.exitCode(), user.toString());
    assertEquals(List.of(
        Map.of("vaults", VAULT_A + "," + VAULT_B, "credential", "default-azure-credential"),
        Map.of("vaults", VAULT_B, "credential", "system-assigned-managed-identity"),
        Map.of("vaults", VAULT_B + "," + VAULT_A, "credential", "user-assigned-managed-identity",
            "managed-identity-client-id", "11111111-2222-3333-4444-555555555555")), seen);
  }

  @Test
  void allowList_refusesBeforeDiscoveryRuns() {
    CliFixture cli = new CliFixture(dir);
    cli.env.put("CMK_VAULTS", VAULT_A);
    cli.env.put("CMK_PKCS11_PIN", PIN);

    CliFixture.Result vault = cli.runWithInput(Envelopes.naming("azure-keyvault", AZURE_KEY), "decrypt");
    CliFixture.Result token = cli.runWithInput(Envelopes.naming("pkcs11", TOKEN_KEY), "decrypt");

    assertEquals(ExitCode.KEY_ACCESS, vault.exitCode(), vault.toString());
    assertEquals(ExitCode.KEY_ACCESS, token.exitCode(), token.toString());
    assertEquals(0, cli.discoveries.get(), "no factory was even looked up");
    assertEquals(List.of(), cli.built);
  }

  @Test
  void missingProviderJar_exit4NamingTheProvider() {
    CliFixture cli = new CliFixture(dir);
    cli.undiscoverable.add("keystore");
    CliFixture.Result r = cli.run("keys", "list");
    assertEquals(ExitCode.PROVIDER_UNAVAILABLE, r.exitCode(), r.toString());
    assertTrue(r.stderr().contains("no key provider 'keystore' found"), r.stderr());
    assertTrue(r.stderr().contains("[azure-keyvault, pkcs11]"), r.stderr());
  }

  @Test
  void keys_anyProviderWithAKeyManager_managesItsKeysThroughTheManager() {
    CliFixture cli = new CliFixture(dir);
    InMemoryKeyProvider inMemory = InMemoryKeyProvider.builder().id("keystore").build();
    cli.factoryOverrides.put("keystore", CliFixture.factory("keystore", settings -> inMemory));

    CliFixture.Result created = cli.run("keys", "create", "--size", "2048", "managed");
    CliFixture.Result rotated = cli.run("keys", "rotate", "local:managed");
    CliFixture.Result disabled = cli.run("keys", "disable", created.out().strip());
    CliFixture.Result listed = cli.run("keys", "list");

    assertEquals(ExitCode.OK, created.exitCode(), created.toString());
    KeyReference v1 = KeyReference.parse(created.out().strip());
    KeyReference v2 = KeyReference.parse(rotated.out().strip());
    assertEquals("disabled " + v1, disabled.out().strip(), disabled.toString());
    assertEquals(List.of(v1, v2), inMemory.manager().listVersions(v1).stream()
        .map(KeyDescription::reference).toList(), "the commands changed the in-memory keys");
    assertFalse(inMemory.describe(v1).enabled());
    assertTrue(listed.out().contains("local:managed") && listed.out().contains("DISABLED"),
        listed.out());
  }

  @Test
  void keys_providerWithoutKeyManager_usageErrorNamingTheKey() {
    CliFixture cli = new CliFixture(dir);
    FaultInjectingProvider noManager = FaultInjectingProvider.wrapping(
        InMemoryKeyProvider.builder().id("azure-keyvault").build());
    cli.factoryOverrides.put("azure-keyvault", CliFixture.factory("azure-keyvault", s -> noManager));

    CliFixture.Result create = cli.run("keys", "create", VAULT_A + "/keys/kek");
    CliFixture.Result list = cli.run("keys", "list", AZURE_KEY);

    for (CliFixture.Result r : List.of(create, list)) {
      assertEquals(ExitCode.USAGE, r.exitCode(), r.toString());
      assertTrue(r.stderr().contains("'azure-keyvault' key provider has no key manager"),
          r.stderr());
    }
    assertEquals(List.of("azure-keyvault", "azure-keyvault"), cli.built);
    assertEquals(0, noManager.describeCount() + noManager.wrapCount() + noManager.unwrapCount());
  }
}
