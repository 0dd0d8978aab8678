package dev.cmk.api.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProviderDiscoveryTest {

  /** A factory that only has an id; create() is never called by discovery. */
  private static class NamedFactory implements KeyEncryptionKeyProviderFactory {
    private final String id;

    NamedFactory(String id) {
      this.id = id;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public KeyEncryptionKeyProvider create(Map<String, String> settings) {
      throw new IllegalArgumentException("not for this test");
    }
  }

  private static final class OtherFactory extends NamedFactory {
    OtherFactory(String id) {
      super(id);
    }
  }

  @Test
  void index_twoFactoriesWithOneId_throwsIllegalStateNamingBoth() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                ProviderDiscovery.index(
                    List.of(new NamedFactory("a"), new NamedFactory("azure-keyvault"), new OtherFactory("azure-keyvault"))));
    assertTrue(e.getMessage().contains("'azure-keyvault'"), e.getMessage());
    assertTrue(e.getMessage().contains(NamedFactory.class.getName()), e.getMessage());
    assertTrue(e.getMessage().contains(OtherFactory.class.getName()), e.getMessage());
  }

  @Test
  void index_distinctIds_mapsByIdSortedAndImmutable() {
    NamedFactory b = new NamedFactory("pkcs11");
    NamedFactory a = new NamedFactory("azure-keyvault");
    Map<String, KeyEncryptionKeyProviderFactory> m = ProviderDiscovery.index(List.of(b, a));
    assertEquals(List.of("azure-keyvault", "pkcs11"), List.copyOf(m.keySet()));
    assertSame(a, m.get("azure-keyvault"));
    assertThrows(UnsupportedOperationException.class, () -> m.put("x", a));
  }

  @Test
  void discover_loaderWithoutFactories_returnsEmptyMap() throws Exception {
    try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
      assertTrue(ProviderDiscovery.discover(empty).isEmpty());
    }
    assertThrows(NullPointerException.class, () -> ProviderDiscovery.discover(null));
  }
}
