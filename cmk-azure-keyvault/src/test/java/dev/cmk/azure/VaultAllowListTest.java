package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The text form of the vault allow-list: never "any vault". */
class VaultAllowListTest {

  @ParameterizedTest
  @ValueSource(strings = {
    "*",
    " * ",
    "https://contoso.vault.azure.net,*",
    "*,https://contoso.vault.azure.net",
    "https://contoso.vault.azure.net, https://*.vault.azure.net",
    "https://contoso.vault.azure.net/keys/*"
  })
  void parse_wildcardAnywhere_isRefused(String setting) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VaultAllowList.parse(setting));
    assertTrue(e.getMessage().startsWith("vaults=* is refused"), e.getMessage());
  }

  @Test
  void parse_list_normalizesReducesKeyUrlsAndDropsDuplicatesAndBlanks() {
    assertEquals(
        List.of("https://contoso-cmk.vault.azure.net", "https://contoso.managedhsm.azure.net", "https://loop.vault.azure.net:8443"),
        VaultAllowList.parse(
            " https://Contoso-CMK.vault.azure.net/ ,,https://contoso.managedhsm.azure.net/keys/k/0123,"
                + "https://contoso-cmk.vault.azure.net,https://loop.vault.azure.net:8443"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " , ", "http://contoso.vault.azure.net", "contoso.vault.azure.net", "https://example.com"})
  void parse_emptyOrNotAVault_isRefused(String setting) {
    assertThrows(IllegalArgumentException.class, () -> VaultAllowList.parse(setting));
  }

  @Test
  void parse_null_namesTheParameter() {
    assertEquals("setting", assertThrows(NullPointerException.class, () -> VaultAllowList.parse(null)).getMessage());
    assertEquals("vaultUrl", assertThrows(NullPointerException.class, () -> VaultAllowList.normalize(null)).getMessage());
  }
}
