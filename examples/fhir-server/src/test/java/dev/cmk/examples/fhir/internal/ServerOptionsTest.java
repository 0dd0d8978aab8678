package dev.cmk.examples.fhir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.examples.fhir.FhirServer;
import dev.cmk.examples.fhir.KeySettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerOptionsTest {
  private static final String AZURE = "https://contoso-cmk.vault.azure.net/keys/fhir-cmk";

  @Test
  void parse_defaults() {
    ServerOptions o = ServerOptions.parse(new String[] {"--key-encryption-key-url", AZURE}, Map.of());
    assertEquals(8080, o.port());
    assertEquals("127.0.0.1", o.host());
    assertEquals(FhirServer.DEFAULT_JDBC_URL, o.jdbcUrl());
    assertFalse(o.demoClock());
    assertNull(o.keySettingsFile());
    assertEquals(KeySettings.IdentityType.SYSTEM_ASSIGNED, o.keySettings().get().identityType());
    assertEquals("memory", o.keyState());
    assertNull(o.replicaName());
  }

  @Test
  void parse_keyState_takesJdbcUrlsAndRefusesOthers() {
    ServerOptions o = ServerOptions.parse(new String[] {"--key-encryption-key-url", AZURE,
        "--key-state", "jdbc:postgresql://db/fhir", "--replica-name", "fhir-1"}, Map.of());
    assertEquals("jdbc:postgresql://db/fhir", o.keyState());
    assertEquals("fhir-1", o.replicaName());
    assertEquals("jdbc:h2:mem:x", ServerOptions.parse(new String[] {"--key-encryption-key-url",
        AZURE}, Map.of("CMK_KEY_STATE", "jdbc:h2:mem:x")).keyState());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServerOptions.parse(new String[] {"--key-encryption-key-url", AZURE,
            "--key-state", "jdbc:mysql://db/fhir"}, Map.of()));
    assertTrue(e.getMessage().startsWith("--key-state must be memory"), e.getMessage());
  }

  @Test
  void parse_environmentThenCommandLine_commandLineWins() {
    ServerOptions o = ServerOptions.parse(
        new String[] {"--port=9000", "--demo-clock"},
        Map.of("FHIR_PORT", "7000", "CMK_KEY_ENCRYPTION_KEY_URL", AZURE,
            "CMK_IDENTITY_TYPE", "UserAssigned",
            "CMK_USER_ASSIGNED_CLIENT_ID", "11111111-2222-3333-4444-555555555555"));
    assertEquals(9000, o.port());
    assertTrue(o.demoClock());
    KeySettings s = o.keySettings().get();
    assertEquals(KeyReference.parse(AZURE), s.keyEncryptionKeyUrl());
    assertEquals("11111111-2222-3333-4444-555555555555", s.userAssignedClientId());
  }

  @Test
  void parse_keySettingsFile_reReadOnEveryGet(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("key.properties");
    Files.writeString(file, "keyEncryptionKeyUrl=" + AZURE + "\n");
    ServerOptions o = ServerOptions.parse(new String[] {"--key-settings", file.toString()}, Map.of());
    assertEquals(KeyReference.parse(AZURE), o.keySettings().get().keyEncryptionKeyUrl());
    Files.writeString(file, "keyEncryptionKeyUrl=" + AZURE + "-2\n");
    assertEquals(KeyReference.parse(AZURE + "-2"), o.keySettings().get().keyEncryptionKeyUrl());
  }

  @Test
  void parse_keySettingsFileAndKeyOptions_refused(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("key.properties");
    Files.writeString(file, "keyEncryptionKeyUrl=" + AZURE + "\n");
    assertThrows(IllegalArgumentException.class, () -> ServerOptions.parse(
        new String[] {"--key-settings", file.toString(), "--key-encryption-key-url", AZURE},
        Map.of()));
  }

  @Test
  void parse_invalid_oneLineErrors() {
    assertThrows(IllegalArgumentException.class, () -> ServerOptions.parse(new String[0], Map.of()));
    assertThrows(IllegalArgumentException.class,
        () -> ServerOptions.parse(new String[] {"--bogus", "1"}, Map.of()));
    assertThrows(IllegalArgumentException.class,
        () -> ServerOptions.parse(new String[] {"--key-encryption-key-url"}, Map.of()));
    assertThrows(IllegalArgumentException.class, () -> ServerOptions.parse(
        new String[] {"--key-encryption-key-url", AZURE, "--port", "70000"}, Map.of()));
  }

  @Test
  void usage_namesEveryEnvironmentVariable() {
    String usage = ServerOptions.usage();
    for (String v : new String[] {"FHIR_PORT", "FHIR_JDBC_URL", "CMK_KEY_ENCRYPTION_KEY_URL",
        "CMK_IDENTITY_TYPE", "CMK_USER_ASSIGNED_CLIENT_ID", "CMK_KEYSTORE", "--demo-clock"}) {
      assertTrue(usage.contains(v), v);
    }
  }
}
