package dev.cmk.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProviderIdsTest {
  @ParameterizedTest
  @ValueSource(strings = {"a", "in-memory", "azure-keyvault", "pkcs11", "x.y-z0", "abcdefghijklmnopqrstuvwxyz012345"})
  void check_validId_returnsIt(String id) {
    assertEquals(id, ProviderIds.check(id));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1abc", "-abc", "Azure", "in memory", "in_memory", "abcdefghijklmnopqrstuvwxyz0123456"})
  void check_invalidId_throwsIllegalArgumentNamingTheRule(String id) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProviderIds.check(id));
    assertEquals("provider id must be 1-32 characters of [a-z0-9.-] starting with a letter", e.getMessage());
  }

  @org.junit.jupiter.api.Test
  void check_null_throwsIllegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> ProviderIds.check(null));
  }
}
