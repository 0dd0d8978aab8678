package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import dev.cmk.api.KeyReference;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
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

  /** A canned JSON answer. */
  private static final class Answer extends HttpResponse {
    private final int status;
    private final byte[] body;
    private final HttpHeaders headers =
        new HttpHeaders().set(HttpHeaderName.CONTENT_TYPE, "application/json; charset=utf-8");

    Answer(HttpRequest request, int status, String body) {
      super(request);
      this.status = status;
      this.body = body.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int getStatusCode() {
      return status;
    }

    @Override
    @Deprecated
    public String getHeaderValue(String name) {
      return headers.getValue(HttpHeaderName.fromString(name));
    }

    @Override
    public HttpHeaders getHeaders() {
      return headers;
    }

    @Override
    public Flux<ByteBuffer> getBody() {
      return Flux.just(ByteBuffer.wrap(body));
    }

    @Override
    public Mono<byte[]> getBodyAsByteArray() {
      return Mono.just(body);
    }

    @Override
    public Mono<String> getBodyAsString() {
      return Mono.just(new String(body, StandardCharsets.UTF_8));
    }

    @Override
    public Mono<String> getBodyAsString(Charset charset) {
      return Mono.just(new String(body, charset));
    }
  }

  private static AzureKeyVaultProvider provider(List<String> seen, Function<HttpRequest, Answer> vault) {
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
    try (AzureKeyVaultProvider p = provider(seen, r -> new Answer(r, 200, bundle))) {
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
            r -> r.getUrl().getPath().endsWith("/versions") ? new Answer(r, 200, listing) : new Answer(r, 403, disabled))) {
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
