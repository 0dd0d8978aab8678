package dev.cmk.azure.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import com.azure.core.util.Context;
import com.microsoft.aad.msal4j.MsalServiceException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Mono;

/**
 * One rule, {@link IdentityRefusal#isRefusal}, for a token endpoint's answer on every path it is
 * seen: the credential's kept response ({@link IdentityRefusal#ofAnswer}), MSAL's exception with
 * Entra ID's status ({@link IdentityRefusal#of}), and the managed-identity endpoint's answer seen
 * by {@link ManagedIdentityRefusalPolicy} (sync and async). Each row is judged alike on all paths.
 */
class IdentityRefusalTest {

  @ParameterizedTest(name = "HTTP {0} error={1} -> refusal {2}")
  @CsvSource(
      nullValues = "none",
      value = {
        "400, none, true",
        "400, invalid_request, true",
        "400, invalid_client, true",
        "400, unauthorized_client, true",
        "401, invalid_client, true",
        "401, UNAUTHORIZED_CLIENT, true",
        "403, invalid_client, true",
        "403, unauthorized_client, true",
        "400, invalid_scope, false",
        "400, invalid_grant, false",
        "401, none, false",
        "403, none, false",
        "404, none, false",
        "404, invalid_client, false",
        "408, none, false",
        "429, invalid_request, false",
        "500, none, false",
        "503, invalid_client, false"
      })
  void isRefusal_sameVerdictOnEveryPath(int status, String oauthError, boolean refusal) {
    assertEquals(refusal, IdentityRefusal.isRefusal(status, oauthError), "the rule");
    assertEquals(refusal, IdentityRefusal.ofAnswer(status, oauthError).isPresent(), "credential's response");
    assertEquals(refusal, IdentityRefusal.of(entraIdAnswer(status, oauthError)).isPresent(), "MSAL exception");
    String body = oauthError == null ? "{}" : "{\"error\":\"" + oauthError + "\"}";
    HttpPipeline mi =
        new HttpPipelineBuilder()
            .httpClient(request -> Mono.just(new TestResponse(request.getUrl().toString(), status, body)))
            .policies(new ManagedIdentityRefusalPolicy())
            .build();
    assertEquals(refusal, refusedSync(mi), "managed-identity policy, sync");
    assertEquals(refusal, refusedAsync(mi), "managed-identity policy, async");
  }

  private static MsalServiceException entraIdAnswer(int status, String oauthError) {
    return new MsalServiceException("AADSTS: refused", oauthError) {
      private static final long serialVersionUID = 1L;

      @Override
      public Integer statusCode() {
        return status;
      }
    };
  }

  private static HttpRequest tokenRequest() {
    HttpRequest r = new HttpRequest(HttpMethod.GET, "http://127.0.0.1:1/msi/token?resource=https://vault.azure.net");
    r.setHeader(HttpHeaderName.fromString("X-IDENTITY-HEADER"), "x");
    return r;
  }

  private static boolean refusedSync(HttpPipeline p) {
    try {
      p.sendSync(tokenRequest(), Context.NONE).close();
      return false;
    } catch (ManagedIdentityRefusalPolicy.Refused e) {
      return true;
    }
  }

  private static boolean refusedAsync(HttpPipeline p) {
    try {
      p.send(tokenRequest()).block();
      return false;
    } catch (ManagedIdentityRefusalPolicy.Refused e) {
      return true;
    }
  }
}
