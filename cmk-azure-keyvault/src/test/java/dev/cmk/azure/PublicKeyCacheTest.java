package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import dev.cmk.api.KeyReference;
import dev.cmk.azure.internal.TestResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * {@link AzureKeyVaultProvider#publicKey} reads a version's key material once: only an entry that
 * came from the listing of a disabled version (no key material) is read again; a non-RSA key,
 * which has no RSA public key to cache, is not. Key Vault's answers are canned (the loopback
 * serves RSA keys only), sent through the real SDK's pipeline.
 */
class PublicKeyCacheTest {
  private static final String VAULT = "https://contoso-cmk.vault.azure.net";
  private static final String VERSION = "0123456789abcdef0123456789abcdef";
  private static final String ATTRIBUTES =
      "\"attributes\":{\"enabled\":%s,\"created\":1700000000,\"updated\":1700000000,"
          + "\"recoveryLevel\":\"Recoverable+Purgeable\",\"recoverableDays\":90}";

  private static AzureKeyVaultProvider provider(List<String> seen, Function<HttpRequest, TestResponse> vault) {
    return AzureKeyVaultProvider.builder()
        .pipeline(
            new HttpPipelineBuilder()
                .httpClient(
                    request -> {
                      seen.add(request.getHttpMethod() + " " + request.getUrl().getPath());
                      return Mono.just(vault.apply(request));
                    })
                .build())
        .addVault(VAULT)
        .disableRateBudget()
        .build();
  }

  private static long gets(List<String> seen, String name) {
    return seen.stream().filter(s -> s.equals("GET /keys/" + name + "/" + VERSION)).count();
  }

  @Test
  void publicKey_nonRsaKey_isReadOnce() {
    KeyReference ec = KeyReference.parse(VAULT + "/keys/ec/" + VERSION);
    List<String> seen = new CopyOnWriteArrayList<>();
    String bundle =
        "{\"key\":{\"kid\":\"" + ec + "\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQID\",\"y\":\"BAUG\","
            + "\"key_ops\":[\"sign\",\"verify\"]}," + String.format(ATTRIBUTES, "true") + "}";
    try (AzureKeyVaultProvider p = provider(seen, r -> TestResponse.json(r, 200, bundle))) {
      assertFalse(p.publicKey(ec).isPresent());
      assertFalse(p.publicKey(ec).isPresent());
      assertFalse(p.publicKey(ec).isPresent());
    }
    assertEquals(1, gets(seen, "ec"), seen.toString());
  }

  @Test
  void publicKey_entryFromADisabledVersionsListing_isReadAgain() {
    KeyReference rsa = KeyReference.parse(VAULT + "/keys/off/" + VERSION);
    List<String> seen = new CopyOnWriteArrayList<>();
    String disabled =
        "{\"error\":{\"code\":\"Forbidden\",\"message\":\"Operation get is not allowed on a disabled key.\","
            + "\"innererror\":{\"code\":\"KeyDisabled\"}}}";
    String listing =
        "{\"value\":[{\"kid\":\"" + rsa + "\"," + String.format(ATTRIBUTES, "false") + "}],\"nextLink\":null}";
    try (AzureKeyVaultProvider p =
        provider(
            seen,
            r -> r.getUrl().getPath().endsWith("/versions") ? TestResponse.json(r, 200, listing) : TestResponse.json(r, 403, disabled))) {
      assertFalse(p.describe(rsa).enabled());
      assertEquals(1, gets(seen, "off"));
      p.publicKey(rsa);
      assertEquals(2, gets(seen, "off"), "the listing held no key material: read again");
      p.publicKey(rsa);
      assertEquals(3, gets(seen, "off"), "still only known from the listing");
    }
    assertTrue(seen.stream().anyMatch(s -> s.endsWith("/keys/off/versions")), seen.toString());
  }
}
