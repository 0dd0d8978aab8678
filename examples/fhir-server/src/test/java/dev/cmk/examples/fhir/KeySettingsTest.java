package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.examples.fhir.KeySettings.IdentityType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeySettingsTest {
  private static final String AZURE = "https://contoso-cmk.vault.azure.net/keys/fhir-cmk";

  @Test
  void builder_azureKeyWithoutIdentity_defaultsToSystemAssigned() {
    KeySettings s = KeySettings.builder().keyEncryptionKeyUrl(KeyReference.parse(AZURE)).build();
    assertEquals(IdentityType.SYSTEM_ASSIGNED, s.identityType());
    assertNull(s.userAssignedClientId());
  }

  @Test
  void builder_userAssignedClientId_impliesUserAssigned() {
    KeySettings s = KeySettings.builder().keyEncryptionKeyUrl(KeyReference.parse(AZURE))
        .userAssignedClientId("11111111-2222-3333-4444-555555555555").build();
    assertEquals(IdentityType.USER_ASSIGNED, s.identityType());
  }

  @Test
  void builder_userAssignedWithoutClientId_fails() {
    KeySettings.Builder b = KeySettings.builder().keyEncryptionKeyUrl(KeyReference.parse(AZURE))
        .identityType(IdentityType.USER_ASSIGNED);
    assertThrows(IllegalArgumentException.class, b::build);
  }

  @Test
  void builder_localKeyWithoutKeystore_fails() {
    KeySettings.Builder b = KeySettings.builder().keyEncryptionKeyUrl(KeyReference.parse("local:k"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
    assertTrue(e.getMessage().contains("keystore"));
  }

  @Test
  void builder_localKeyWithTwoPasswordSources_fails() {
    KeySettings.Builder b = KeySettings.builder().keyEncryptionKeyUrl(KeyReference.parse("local:k"))
        .keystore(Path.of("k.p12")).keystorePasswordFile(Path.of("pw"))
        .keystorePasswordEnvironment("PW");
    assertThrows(IllegalArgumentException.class, b::build);
  }

  @Test
  void builder_pkcs11Key_refused() {
    KeySettings.Builder b = KeySettings.builder()
        .keyEncryptionKeyUrl(KeyReference.parse("pkcs11:token=cmk;object=fhir"));
    assertThrows(IllegalArgumentException.class, b::build);
  }

  @Test
  void builder_withoutUrl_isIllegalState() {
    assertThrows(IllegalStateException.class, () -> KeySettings.builder().build());
  }

  @Test
  void identityType_parse_acceptsAzureAndKebabSpellings() {
    assertEquals(IdentityType.SYSTEM_ASSIGNED, IdentityType.parse("SystemAssigned"));
    assertEquals(IdentityType.USER_ASSIGNED, IdentityType.parse("user-assigned"));
    assertThrows(IllegalArgumentException.class, () -> IdentityType.parse("None"));
  }

  @Test
  void load_relativePaths_resolvedAgainstTheFilesDirectory(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("key.properties");
    Files.writeString(file, "keyEncryptionKeyUrl=local:fhir-cmk/00000001\n"
        + "keystore.path=vault/keys.p12\nkeystore.passwordFile=vault/pw\n");
    KeySettings s = KeySettings.load(file);
    assertEquals(KeyReference.parse("local:fhir-cmk/00000001"), s.keyEncryptionKeyUrl());
    assertEquals(dir.toAbsolutePath().resolve("vault/keys.p12"), s.keystore());
    assertEquals(dir.toAbsolutePath().resolve("vault/pw"), s.keystorePasswordFile());
  }

  @Test
  void fromProperties_unknownName_refused() {
    Properties p = new Properties();
    p.setProperty("keyEncryptionKeyUrl", AZURE);
    p.setProperty("keyVaultKeyUri", AZURE);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KeySettings.fromProperties(p, Path.of(".")));
    assertTrue(e.getMessage().contains("keyVaultKeyUri"));
  }

  @Test
  void fromProperties_userAssigned_readsClientId() {
    Properties p = new Properties();
    p.setProperty("keyEncryptionKeyUrl", AZURE + "/0123456789abcdef0123456789abcdef");
    p.setProperty("identity.type", "UserAssigned");
    p.setProperty("identity.userAssignedClientId", "11111111-2222-3333-4444-555555555555");
    KeySettings s = KeySettings.fromProperties(p, Path.of("."));
    assertEquals("11111111-2222-3333-4444-555555555555", s.userAssignedClientId());
    assertTrue(s.keyEncryptionKeyUrl().isVersioned());
  }
}
