package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.fleet.InMemoryFleetStateStore;
import dev.cmk.state.azureblob.BlobFleetStateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --key-state}, {@code --key-state-setting}, {@code --replica-name}; no network. */
class KeyStateStoresTest {
  private static final String URL = "azure-blob:https://contosostate.blob.core.windows.net/fleet";
  private static final String ACCOUNT_KEY =
      "c2VjcmV0LWFjY291bnQta2V5LXNlY3JldC1hY2NvdW50LWtleS1zZWNyZXQtYWNjb3VudC1rZXk=";
  private static final String CONNECTION_STRING = "DefaultEndpointsProtocol=https;AccountName="
      + "contosostate;AccountKey=" + ACCOUNT_KEY + ";EndpointSuffix=core.windows.net";
  private static final UnaryOperator<String> ENV =
      name -> name.equals("STATE_CS") ? CONNECTION_STRING : name.equals("STATE_SAS")
          ? "sv=2025-01-05&sp=rcw&sig=c2lnbmF0dXJl" : null;

  @TempDir Path dir;

  private static KeyStateStores.Options options(String spec, Map<String, String> settings) {
    return new KeyStateStores.Options(spec, settings, Optional.empty());
  }

  @Test
  void parse_default_isInMemoryWithoutSettings() {
    DicomStoreMain.Options o = DicomStoreMain.Options.parse("--data-dir", "d", "--key", "local:k");
    assertEquals(KeyStateStores.Options.DEFAULT, o.keyState());
    assertFalse(o.demoClock());
    assertInstanceOf(InMemoryFleetStateStore.class, KeyStateStores.create(o.keyState(), ENV));
  }

  @Test
  void parse_blobStoreOptions() {
    DicomStoreMain.Options o = DicomStoreMain.Options.parse("--data-dir", "d", "--key", "local:k",
        "--key-state", URL, "--key-state-setting", "connection-string-env=STATE_CS",
        "--key-state-setting", "prefix=dicom-prod/", "--replica-name", "dicom-7",
        "--demo-clock");
    assertEquals(URL, o.keyState().spec());
    assertEquals(Map.of("connection-string-env", "STATE_CS", "prefix", "dicom-prod/"),
        o.keyState().settings());
    assertEquals("dicom-7", o.keyState().replica());
    assertTrue(o.demoClock());
    BlobFleetStateStore store =
        assertInstanceOf(BlobFleetStateStore.class, KeyStateStores.create(o.keyState(), ENV));
    assertTrue(store.toString().contains("contosostate/fleet"), store.toString());
    assertTrue(store.blobName("local:k").startsWith("dicom-prod/"));
    assertFalse(store.toString().contains(ACCOUNT_KEY));
  }

  @Test
  void create_sasTokenFromAFile() throws Exception {
    Path sas = dir.resolve("sas");
    Files.writeString(sas, "sv=2025-01-05&sp=rcw&sig=c2lnbmF0dXJl\n");
    assertInstanceOf(BlobFleetStateStore.class,
        KeyStateStores.create(options(URL, Map.of("sas-token-file", sas.toString())), ENV));
    assertInstanceOf(BlobFleetStateStore.class,
        KeyStateStores.create(options(URL, Map.of("sas-token-env", "STATE_SAS")), ENV));
  }

  @Test
  void parse_replicaNameDefault_isHostAndPid() {
    String name = KeyStateStores.Options.DEFAULT.replica();
    assertTrue(name.endsWith("-" + ProcessHandle.current().pid()), name);
    assertThrows(IllegalArgumentException.class, () -> DicomStoreMain.Options.parse(
        "--data-dir", "d", "--key", "local:k", "--replica-name", "a\tb"));
  }

  @Test
  void invalidKeyState_isRefusedNamingTheProblemButNoSecret() {
    String[][] cases = {
        {"sqlite:x", ""},
        {"memory", "prefix=x"},
        {URL, ""},
        {URL, "connection-string-env=STATE_CS,sas-token-env=STATE_SAS"},
        {URL, "colour=blue,connection-string-env=STATE_CS"},
        {URL, "connection-string-env=MISSING"},
        {URL, "connection-string-file=" + dir.resolve("missing")},
        {URL, "connection-string-env=STATE_SAS"},
        {URL + "?sv=2025&sig=c2lnbmF0dXJl", "sas-token-env=STATE_SAS"},
        {"azure-blob:ftp://contosostate/fleet", "sas-token-env=STATE_SAS"},
        {"azure-blob:https://contosostate.blob.core.windows.net/", "sas-token-env=STATE_SAS"},
        {URL, "sas-token-env=STATE_SAS,prefix=/abs"},
    };
    for (String[] c : cases) {
      Map<String, String> settings = new java.util.LinkedHashMap<>();
      for (String kv : c[1].isEmpty() ? new String[0] : c[1].split(",")) {
        settings.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
      }
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> KeyStateStores.create(options(c[0], settings), ENV), c[0] + " " + c[1]);
      assertFalse(e.getMessage().contains(ACCOUNT_KEY), e.getMessage());
      assertFalse(e.getMessage().contains("c2lnbmF0dXJl"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> DicomStoreMain.Options.parse(
        "--data-dir", "d", "--key", "local:k", "--key-state-setting", "novalue"));
    assertThrows(IllegalArgumentException.class, () -> DicomStoreMain.Options.parse(
        "--data-dir", "d", "--key", "local:k", "--key-state", "memory", "--key-state", "memory"));
  }
}
