package dev.cmk.azure.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import com.azure.core.util.Context;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Mono;

class ManagedIdentityRefusalPolicyTest {
  private static final String ENDPOINT = "http://127.0.0.1:1/msi/token?resource=https://vault.azure.net";

  private static HttpPipeline pipeline(int status, String body) {
    return new HttpPipelineBuilder()
        .httpClient(request -> Mono.just(new TestResponse(request.getUrl().toString(), status, body)))
        .policies(new ManagedIdentityRefusalPolicy())
        .build();
  }

  private static HttpRequest tokenRequest(String header, String value) {
    HttpRequest r = new HttpRequest(HttpMethod.GET, ENDPOINT);
    if (header != null) {
      r.setHeader(HttpHeaderName.fromString(header), value);
    }
    return r;
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @CsvSource(delimiter = '|', value = {
    "X-IDENTITY-HEADER | {\"statusCode\":400,\"message\":\"No User Assigned or Delegated Managed Identity found\"} | the managed-identity endpoint answered HTTP 400",
    "Metadata | {\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"} | the managed-identity endpoint answered HTTP 400 invalid_request",
    "secret | {\"error\":\"<script>\"} | the managed-identity endpoint answered HTTP 400",
    "Metadata | not json | the managed-identity endpoint answered HTTP 400"
  })
  void managedIdentityEndpoint400_throwsRefused_syncAndAsync(String header, String body, String message) {
    HttpPipeline p = pipeline(400, body);
    ManagedIdentityRefusalPolicy.Refused sync =
        assertThrows(ManagedIdentityRefusalPolicy.Refused.class, () -> p.sendSync(tokenRequest(header, "x"), Context.NONE));
    assertEquals(message, sync.getMessage());
    ManagedIdentityRefusalPolicy.Refused async =
        assertThrows(ManagedIdentityRefusalPolicy.Refused.class, () -> p.send(tokenRequest(header, "x")).block());
    assertEquals(message, async.getMessage());
  }

  @ParameterizedTest(name = "HTTP {0}")
  @CsvSource({"200", "401", "404", "429", "500", "503"})
  void managedIdentityEndpointOtherStatus_passesUnchanged(int status) {
    assertEquals(status, pipeline(status, "{}").sendSync(tokenRequest("X-IDENTITY-HEADER", "x"), Context.NONE).getStatusCode());
    assertEquals(status, pipeline(status, "{}").send(tokenRequest("Metadata", "true")).block().getStatusCode());
  }

  @Test
  void otherRequest400_passesUnchanged() {
    assertEquals(400, pipeline(400, "{\"error\":\"invalid_grant\"}").sendSync(tokenRequest(null, null), Context.NONE).getStatusCode());
    assertEquals(400, pipeline(400, "{}").send(tokenRequest(null, null)).block().getStatusCode());
  }

  @Test
  void refused_isFoundInTheCredentialsCauseChain() {
    RuntimeException wrapped =
        new com.azure.core.exception.ClientAuthenticationException(
            "Managed Identity authentication failed", null,
            new com.microsoft.aad.msal4j.MsalClientException(ManagedIdentityRefusalPolicy.refused(400, "{}")));
    assertEquals(
        "the managed-identity endpoint answered HTTP 400", IdentityRefusal.of(wrapped).orElseThrow());
  }
}
