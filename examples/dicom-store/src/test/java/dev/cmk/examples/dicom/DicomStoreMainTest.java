package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DicomStoreMainTest {

  @Test
  void parse_minimal_appliesDefaults() {
    DicomStoreMain.Options o =
        DicomStoreMain.Options.parse("--data-dir", "/tmp/d", "--key", "local:dicom-kek");

    assertEquals(Path.of("/tmp/d"), o.dataDirectory());
    assertEquals(KeyReference.parse("local:dicom-kek"), o.key());
    assertEquals(Optional.empty(), o.providerId());
    assertEquals(Map.of(), o.providerSettings());
    assertEquals(List.of(), o.decryptOnlyKeys());
    assertEquals("127.0.0.1", o.host());
    assertEquals(8080, o.port());
    assertEquals(DicomStoreServer.DEFAULT_MAX_INSTANCE_SIZE, o.maxInstanceSize());
    assertFalse(o.createKeyIfMissing());
    assertFalse(o.help());
  }

  @Test
  void parse_everything() {
    DicomStoreMain.Options o = DicomStoreMain.Options.parse(
        "--key", "https://contoso.vault.azure.net/keys/dicom-kek",
        "--data-dir", "d",
        "--provider", "azure-keyvault",
        "--provider-setting", "vaults=https://contoso.vault.azure.net",
        "--provider-setting", "credential=system-assigned-managed-identity",
        "--host", "0.0.0.0",
        "--port", "0",
        "--max-instance-size", "1048576",
        "--create-key-if-missing");

    assertEquals(Optional.of("azure-keyvault"), o.providerId());
    assertEquals(
        Map.of("vaults", "https://contoso.vault.azure.net",
            "credential", "system-assigned-managed-identity"),
        o.providerSettings());
    assertEquals("0.0.0.0", o.host());
    assertEquals(0, o.port());
    assertEquals(1 << 20, o.maxInstanceSize());
    assertTrue(o.createKeyIfMissing());
  }

  @Test
  void parse_help() {
    assertTrue(DicomStoreMain.Options.parse("--help").help());
    assertTrue(DicomStoreMain.USAGE.startsWith("usage: dicom-store"));
  }

  @Test
  void parse_errors_nameTheProblem() {
    assertEquals("--data-dir is required", error("--key", "local:k"));
    assertEquals("--key is required", error("--data-dir", "d"));
    assertEquals("unknown option '--bogus'", error("--bogus"));
    assertEquals("--port needs a value", error("--data-dir", "d", "--key", "local:k", "--port"));
    assertEquals("--port must be 0-65535",
        error("--data-dir", "d", "--key", "local:k", "--port", "70000"));
    assertEquals("--port must be a number",
        error("--data-dir", "d", "--key", "local:k", "--port", "x"));
    assertEquals("--max-instance-size must be 132-" + Long.MAX_VALUE,
        error("--data-dir", "d", "--key", "local:k", "--max-instance-size", "100"));
    assertEquals("--key given twice",
        error("--data-dir", "d", "--key", "local:k", "--key", "local:j"));
    assertEquals("--provider-setting needs NAME=VALUE",
        error("--data-dir", "d", "--key", "local:k", "--provider-setting", "=x"));
    assertEquals("provider setting 'path' given twice",
        error("--data-dir", "d", "--key", "local:k", "--provider-setting", "path=a",
            "--provider-setting", "path=b"));
    assertEquals("--data-dir needs a value", error("--data-dir", "--key", "local:k"));
    assertTrue(error("--data-dir", "d", "--key", "ftp://x").startsWith("key reference scheme"));
  }

  @Test
  void providerSettings_azureWithoutVaults_servesOnlyTheKeysVault() {
    DicomStoreMain.Options o = DicomStoreMain.Options.parse(
        "--data-dir", "d", "--key", "https://contoso.vault.azure.net/keys/dicom-kek",
        "--provider-setting", "credential=system-assigned-managed-identity");

    assertEquals(
        Map.of("vaults", "https://contoso.vault.azure.net",
            "credential", "system-assigned-managed-identity"),
        StoreProviders.settings(o).get("azure-keyvault"));
  }

  @Test
  void providerSettings_anyVault_refusedWithTheReason() {
    for (String vaults : new String[] {"*", "https://contoso.vault.azure.net, *"}) {
      DicomStoreMain.Options o = DicomStoreMain.Options.parse(
          "--data-dir", "d", "--key", "https://contoso.vault.azure.net/keys/dicom-kek",
          "--provider-setting", "vaults=" + vaults,
          "--provider-setting", "credential=system-assigned-managed-identity");

      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> StoreProviders.settings(o).get("azure-keyvault"));
      assertTrue(e.getMessage().startsWith("--provider-setting vaults=* is refused: the store would"
          + " call any vault a stored instance's header names"), e.getMessage());
    }
  }

  @Test
  void providerSettings_explicitVaultsAndPkcs11Token_keptOrDefaultedFromTheKey() {
    DicomStoreMain.Options azure = DicomStoreMain.Options.parse(
        "--data-dir", "d", "--key", "https://contoso.vault.azure.net/keys/dicom-kek",
        "--provider-setting", "vaults=https://contoso.vault.azure.net,https://old.vault.azure.net");
    DicomStoreMain.Options pkcs11 = DicomStoreMain.Options.parse(
        "--data-dir", "d", "--key", "pkcs11:token=dicom-hsm;object=kek",
        "--provider-setting", "library=/usr/lib/softhsm/libsofthsm2.so");
    DicomStoreMain.Options bySerial = DicomStoreMain.Options.parse(
        "--data-dir", "d", "--key", "pkcs11:token=dicom-hsm;object=kek",
        "--provider-setting", "token-serial=1234");

    assertEquals("https://contoso.vault.azure.net,https://old.vault.azure.net",
        StoreProviders.settings(azure).get("azure-keyvault").get("vaults"));
    assertEquals("dicom-hsm", StoreProviders.settings(pkcs11).get("pkcs11").get("token"));
    assertEquals(Map.of("token-serial", "1234"), StoreProviders.settings(bySerial).get("pkcs11"));
  }

  @Test
  void parse_decryptOnlyKeys_repeatableInOrder() {
    DicomStoreMain.Options o = DicomStoreMain.Options.parse(
        "--data-dir", "d", "--key", "https://new.vault.azure.net/keys/dicom-kek",
        "--decrypt-only-key", "https://old.vault.azure.net/keys/dicom-kek",
        "--decrypt-only-key", "local:dicom-kek");

    assertEquals(List.of(KeyReference.parse("https://old.vault.azure.net/keys/dicom-kek"),
        KeyReference.parse("local:dicom-kek")), o.decryptOnlyKeys());
    assertEquals(List.of(), DicomStoreMain.Options.parse(
        "--data-dir", "d", "--key", "local:k").decryptOnlyKeys());
  }

  @Test
  void parse_decryptOnlyKeyTwiceOrSameAsKey_refused() {
    assertEquals("--decrypt-only-key local:old given twice", error("--data-dir", "d",
        "--key", "local:k", "--decrypt-only-key", "local:old", "--decrypt-only-key", "local:old"));
    assertEquals("--decrypt-only-key local:k/00000001-aa is the --key (it is read anyway)",
        error("--data-dir", "d", "--key", "local:k", "--decrypt-only-key", "local:k/00000001-aa"));
    assertEquals("--decrypt-only-key needs a value",
        error("--data-dir", "d", "--key", "local:k", "--decrypt-only-key"));
  }

  @Test
  void settings_decryptOnlyKeyInAnotherVault_oneAzureProviderServingBothVaults() {
    DicomStoreMain.Options o = DicomStoreMain.Options.parse(
        "--data-dir", "d", "--key", "https://new.vault.azure.net/keys/dicom-kek",
        "--decrypt-only-key", "https://old.vault.azure.net/keys/dicom-kek/0123456789abcdef0123456789abcdef",
        "--provider-setting", "credential=system-assigned-managed-identity");

    assertEquals(Map.of("azure-keyvault", Map.of(
            "vaults", "https://new.vault.azure.net,https://old.vault.azure.net",
            "credential", "system-assigned-managed-identity")),
        StoreProviders.settings(o));
  }

  @Test
  void settings_decryptOnlyKeyOfAnotherKind_itsProviderTakesThePrefixedSettings() {
    DicomStoreMain.Options o = DicomStoreMain.Options.parse(
        "--data-dir", "d", "--key", "pkcs11:token=dicom-hsm;object=kek",
        "--provider-setting", "library=/usr/lib/softhsm/libsofthsm2.so",
        "--provider-setting", "pin-file=pin",
        "--decrypt-only-key", "local:dicom-kek",
        "--provider-setting", "keystore:path=keys.p12",
        "--provider-setting", "keystore:password-file=keystore-password");

    Map<String, Map<String, String>> settings = StoreProviders.settings(o);

    assertEquals(List.of("pkcs11", "keystore"), List.copyOf(settings.keySet()), "write key's first");
    assertEquals(Map.of("library", "/usr/lib/softhsm/libsofthsm2.so", "pin-file", "pin",
        "token", "dicom-hsm"), settings.get("pkcs11"));
    assertEquals(Map.of("path", "keys.p12", "password-file", "keystore-password"),
        settings.get("keystore"));
  }

  @Test
  void settings_prefixForAnUnusedProviderOrASettingGivenTwice_refused() {
    IllegalArgumentException unused = assertThrows(IllegalArgumentException.class,
        () -> StoreProviders.settings(DicomStoreMain.Options.parse("--data-dir", "d",
            "--key", "local:k", "--provider-setting", "pkcs11:library=/x.so")));
    assertEquals("--provider-setting pkcs11:library: no --key or --decrypt-only-key uses"
        + " provider 'pkcs11' (keys use [keystore])", unused.getMessage());

    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> StoreProviders.settings(DicomStoreMain.Options.parse("--data-dir", "d",
            "--key", "local:k", "--provider-setting", "path=a",
            "--provider-setting", "keystore:path=b")));
    assertEquals("provider setting 'path' of 'keystore' given twice", twice.getMessage());
  }

  @Test
  void create_decryptOnlyKeyItsProviderDoesNotServe_refusedNamingTheKey() {
    DicomStoreMain.Options o = DicomStoreMain.Options.parse(
        "--data-dir", "d", "--key", "local:k",
        "--decrypt-only-key", "https://old.vault.azure.net/keys/dicom-kek");
    List<String> made = new java.util.ArrayList<>();

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StoreProviders.create(o, (id, settings) -> {
          made.add(id + settings);
          // An in-memory provider serves local: keys only, so not the Azure key.
          return InMemoryKeyProvider.builder().id(id).build();
        }));

    assertEquals(List.of("keystore{}", "azure-keyvault{vaults=https://old.vault.azure.net}"), made);
    assertEquals("--decrypt-only-key https://old.vault.azure.net/keys/dicom-kek is not served by"
        + " the 'azure-keyvault' provider as configured (its vaults= or token= leave it out)",
        e.getMessage());
  }

  private static String error(String... args) {
    return assertThrows(IllegalArgumentException.class, () -> DicomStoreMain.Options.parse(args))
        .getMessage();
  }
}
