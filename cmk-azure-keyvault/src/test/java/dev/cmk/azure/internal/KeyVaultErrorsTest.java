package dev.cmk.azure.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.exception.ResourceNotFoundException;
import com.microsoft.aad.msal4j.ManagedIdentitySourceType;
import com.microsoft.aad.msal4j.MsalClientException;
import com.microsoft.aad.msal4j.MsalServiceException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class KeyVaultErrorsTest {
  private static final KeyReference KEY =
      KeyReference.parse("https://cmkvault.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef");
  private static final String VAULT_URL = "https://cmkvault.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef/unwrapkey";

  private static String error(String code, String inner) {
    return "{\"error\":{\"code\":\"" + code + "\",\"message\":\"m\""
        + (inner == null ? "" : ",\"innererror\":{\"code\":\"" + inner + "\"}") + "}}";
  }

  private static KeyProviderException classify(int status, String body) {
    return KeyVaultErrors.classify(
        new HttpResponseException("x", new TestResponse(VAULT_URL, status, body)), KEY, "unwrapKey");
  }

  @ParameterizedTest(name = "403 {0}/{1} -> {2}")
  @CsvSource({
    "Forbidden,KeyDisabled,KEY_DISABLED",
    "Forbidden,KeyExpired,KEY_NOT_VALID_NOW",
    "Forbidden,KeyNotYetValid,KEY_NOT_VALID_NOW",
    "Forbidden,KeyOperationForbidden,OPERATION_NOT_PERMITTED",
    "Forbidden,ForbiddenByPolicy,IDENTITY_NOT_AUTHORIZED",
    "Forbidden,ForbiddenByRbac,IDENTITY_NOT_AUTHORIZED",
    "Forbidden,AccessDenied,IDENTITY_NOT_AUTHORIZED",
    "Forbidden,ForbiddenByFirewall,IDENTITY_NOT_AUTHORIZED",
    "Forbidden,SomethingNew,UNSPECIFIED",
    "ForbiddenByPolicy,,IDENTITY_NOT_AUTHORIZED"
  })
  void classify_403_mapsInnerErrorToReason(String code, String inner, Reason expected) {
    KeyAccessDeniedException e = assertInstanceOf(KeyAccessDeniedException.class, classify(403, error(code, inner)));
    assertEquals(expected, e.reason());
    assertTrue(e.isAuthoritative());
    assertTrue(e.getMessage().contains("403"), e.getMessage());
    assertFalse(e.getMessage().contains("\"m\""), "no response body in the message");
  }

  @Test
  void classify_403WithoutReadableBody_isUnspecified() {
    KeyAccessDeniedException e = assertInstanceOf(KeyAccessDeniedException.class, classify(403, "<html>nope</html>"));
    assertEquals(Reason.UNSPECIFIED, e.reason());
  }

  @Test
  void classify_errorInExceptionValue_isReadToo() {
    HttpResponseException http =
        new HttpResponseException(
            "x",
            new TestResponse(VAULT_URL, 403, null),
            Map.of("error", Map.of("code", "Forbidden", "innererror", Map.of("code", "KeyDisabled"))));
    KeyAccessDeniedException e =
        assertInstanceOf(KeyAccessDeniedException.class, KeyVaultErrors.classify(http, KEY, "getKey"));
    assertEquals(Reason.KEY_DISABLED, e.reason());
  }

  @Test
  void classify_401_isIdentityNotAuthorized() {
    KeyAccessDeniedException e =
        assertInstanceOf(
            KeyAccessDeniedException.class,
            KeyVaultErrors.classify(
                new ClientAuthenticationException("x", new TestResponse(VAULT_URL, 401, error("Unauthorized", null))),
                KEY,
                "getKey"));
    assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, e.reason());
  }

  @Test
  void classify_404And400_areNotFound() {
    assertInstanceOf(KeyNotFoundException.class, classify(404, error("KeyNotFound", null)));
    assertInstanceOf(
        KeyNotFoundException.class,
        KeyVaultErrors.classify(
            new ResourceNotFoundException("x", new TestResponse(VAULT_URL, 404, null)), KEY, "getKey"));
    assertInstanceOf(KeyNotFoundException.class, classify(400, error("BadParameter", null)));
  }

  @ParameterizedTest
  @CsvSource({"408", "409", "429", "500", "502", "503", "504"})
  void classify_throttlingServerErrorsAndOthers_areTransient(int status) {
    KeyProviderUnavailableException e = assertInstanceOf(KeyProviderUnavailableException.class, classify(status, error("Throttled", null)));
    assertFalse(e.isAuthoritative());
  }

  @Test
  void classify_429_carriesRetryAfterInSecondsMillisecondsOrDate() {
    KeyProviderUnavailableException seconds =
        (KeyProviderUnavailableException)
            KeyVaultErrors.classify(
                new HttpResponseException("x", new TestResponse(VAULT_URL, 429, null).header("Retry-After", "12")),
                KEY,
                "unwrapKey");
    assertEquals(Duration.ofSeconds(12), seconds.retryAfter().orElseThrow());
    KeyProviderUnavailableException millis =
        (KeyProviderUnavailableException)
            KeyVaultErrors.classify(
                new HttpResponseException("x", new TestResponse(VAULT_URL, 429, null).header("retry-after-ms", "250").header("Retry-After", "1")),
                KEY,
                "unwrapKey");
    assertEquals(Duration.ofMillis(250), millis.retryAfter().orElseThrow());
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(30));
    Duration fromDate =
        KeyVaultErrors.retryAfter(new TestResponse(VAULT_URL, 429, null).header("Retry-After", date)).orElseThrow();
    assertTrue(fromDate.compareTo(Duration.ofSeconds(25)) > 0 && fromDate.compareTo(Duration.ofSeconds(31)) <= 0, fromDate.toString());
    assertTrue(KeyVaultErrors.retryAfter(new TestResponse(VAULT_URL, 429, null).header("Retry-After", "soon")).isEmpty());
    assertTrue(KeyVaultErrors.retryAfter(new TestResponse(VAULT_URL, 429, null)).isEmpty());
  }

  @Test
  void classify_transportFailures_areTransientAndNamed() {
    KeyProviderException refused =
        KeyVaultErrors.classify(new RuntimeException(new ConnectException("refused")), KEY, "getKey");
    assertInstanceOf(KeyProviderUnavailableException.class, refused);
    assertTrue(refused.getMessage().contains("connection refused"), refused.getMessage());
    KeyProviderException dns =
        KeyVaultErrors.classify(new UncheckedIOException(new UnknownHostException("x")), KEY, "getKey");
    assertTrue(dns.getMessage().contains("unknown host"), dns.getMessage());
    KeyProviderException timeout = KeyVaultErrors.classify(new RuntimeException(new TimeoutException()), KEY, "getKey");
    assertTrue(timeout.getMessage().contains("timeout"), timeout.getMessage());
  }

  @Test
  void classify_credentialFailuresWithoutRefusal_areTransient() {
    KeyProviderException noResponse =
        KeyVaultErrors.classify(new ClientAuthenticationException("no token", null), KEY, "getKey");
    assertInstanceOf(KeyProviderUnavailableException.class, noResponse);
    assertTrue(noResponse.getMessage().contains("could not get a token"));
    KeyProviderException tokenEndpoint503 =
        KeyVaultErrors.classify(
            new ClientAuthenticationException("x", new TestResponse("http://127.0.0.1:1/msi/token", 503, "{}")),
            KEY,
            "getKey");
    assertInstanceOf(KeyProviderUnavailableException.class, tokenEndpoint503);
    assertTrue(tokenEndpoint503.getMessage().contains("HTTP 503"), tokenEndpoint503.getMessage());
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "400, '{}'",
    "400, '{\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"}'",
    "401, '{\"error\":\"unauthorized_client\"}'",
    "403, '{\"error\":\"invalid_client\"}'"
  })
  void classify_tokenEndpointAnswerRefusingTheIdentity_isIdentityNotAuthorized(int status, String body) {
    KeyProviderException e =
        KeyVaultErrors.classify(
            new ClientAuthenticationException("x", new TestResponse("http://127.0.0.1:1/msi/token", status, body)),
            KEY,
            "getKey");
    KeyAccessDeniedException denied = assertInstanceOf(KeyAccessDeniedException.class, e);
    assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, denied.reason());
    assertTrue(denied.isAuthoritative());
    assertFalse(e.getMessage().contains("Identity not found"), "no response body in the message");
  }

  @Test
  void classify_msalCouldNotConnect_isTransientAndNamesTheCredentialNotKeyVault() {
    KeyProviderException e =
        KeyVaultErrors.classify(
            new MsalClientException(new UncheckedIOException(new ConnectException("refused"))), KEY, "getKey");
    assertInstanceOf(KeyProviderUnavailableException.class, e);
    assertTrue(e.getMessage().contains("could not get a token (connection refused)"), e.getMessage());
  }

  @Test
  void classify_tokenEndpoint401WithoutOAuthRefusal_isTransient() {
    KeyProviderException e =
        KeyVaultErrors.classify(
            new ClientAuthenticationException("x", new TestResponse("http://127.0.0.1:1/msi/token", 401, "{}")),
            KEY,
            "getKey");
    assertInstanceOf(KeyProviderUnavailableException.class, e);
  }

  /** What azure-identity throws: MSAL's exception inside a response-less ClientAuthenticationException. */
  private static KeyProviderException classifyMsal(MsalServiceException msal) {
    return KeyVaultErrors.classify(
        new ClientAuthenticationException(
            "Managed Identity authentication failed, see inner exception for more information.",
            null,
            new CompletionException(msal)),
        KEY,
        "getKey");
  }

  private static MsalServiceException managedIdentityFailure(String message, ManagedIdentitySourceType source) {
    return new MsalServiceException(message, "managed_identity_request_failed", source);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
    "[Managed Identity] Error Message: No User Assigned or Delegated Managed Identity found for specified"
        + " ClientId/ResourceId/PrincipalId. Managed Identity Correlation ID: 0f1e Use this Correlation ID for"
        + " further investigation.",
    "[Managed Identity] Error Code: invalid_request Error Message: Identity not found",
    "[Managed Identity] Error Code: unauthorized_client Error Message: the identity is disabled",
    "[Managed Identity] Authentication unavailable. The requested identity has not been assigned to this"
        + " resource.Status: 400Content:{\"error\":\"invalid_request\",\"error_description\":\"Identity not"
        + " found\"}Headers:",
    "[Managed Identity] Service request failed.Status: 400Content:{}Headers:"
  })
  void classify_managedIdentityEndpointRefusal_isIdentityNotAuthorized(String msalMessage) {
    KeyProviderException e = classifyMsal(managedIdentityFailure(msalMessage, ManagedIdentitySourceType.APP_SERVICE));
    KeyAccessDeniedException denied = assertInstanceOf(KeyAccessDeniedException.class, e);
    assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, denied.reason());
    assertTrue(e.getMessage().contains("refused the identity"), e.getMessage());
    assertFalse(e.getMessage().contains("0f1e"), "no correlation id or body in the message: " + e.getMessage());
    assertInstanceOf(ClientAuthenticationException.class, e.getCause(), "the SDK exception is the cause");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
    "[Managed Identity] Error Message: The managed identity endpoint is unavailable. Managed Identity"
        + " Correlation ID: 0f1e Use this Correlation ID for further investigation.",
    "[Managed Identity] Authentication unavailable. The request failed due to a gateway error.Status: 502",
    "[Managed Identity] Service request failed.Status: 4000Content:{}",
    "[Managed Identity] Unexpected exception occurred when parsing the response, HttpStatusCode: 500,"
        + " Error message: x"
  })
  void classify_managedIdentityEndpointFailing_isTransient(String msalMessage) {
    KeyProviderException e = classifyMsal(managedIdentityFailure(msalMessage, ManagedIdentitySourceType.IMDS));
    assertInstanceOf(KeyProviderUnavailableException.class, e);
  }

  @Test
  void classify_managedIdentityEndpointUnreachable_isTransient() {
    KeyProviderException e =
        classifyMsal(new MsalServiceException(
            "Identity not found", "managed_identity_unreachable_network", ManagedIdentitySourceType.IMDS));
    assertInstanceOf(KeyProviderUnavailableException.class, e);
  }

  private static MsalServiceException entraFailure(int status, String error) {
    return new MsalServiceException("AADSTS700016: application not found in the directory", error) {
      private static final long serialVersionUID = 1L;

      @Override
      public Integer statusCode() {
        return status;
      }
    };
  }

  @ParameterizedTest(name = "{0} {1} -> refused {2}")
  @CsvSource({
    "400, unauthorized_client, true",
    "401, invalid_client, true",
    "400, invalid_request, true",
    "400, invalid_grant, false",
    "500, invalid_request, false",
    "429, unauthorized_client, false"
  })
  void classify_entraIdAnswers_refusalOnlyForIdentityErrors(int status, String error, boolean refused) {
    KeyProviderException e = classifyMsal(entraFailure(status, error));
    if (refused) {
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, assertInstanceOf(KeyAccessDeniedException.class, e).reason());
      assertFalse(e.getMessage().contains("AADSTS"), e.getMessage());
    } else {
      assertInstanceOf(KeyProviderUnavailableException.class, e);
    }
  }

  @Test
  void describe_namesStatusAndCodesOnly() {
    assertEquals(
        "HTTP 400 BadParameter",
        KeyVaultErrors.describe(new HttpResponseException("x", new TestResponse(VAULT_URL, 400, error("BadParameter", null)))));
    assertEquals(IllegalStateException.class.getName(), KeyVaultErrors.describe(new IllegalStateException("secret")));
  }

  @Test
  void classify_unknownFailure_isTransientAndCmkExceptionsPassThrough() {
    assertInstanceOf(KeyProviderUnavailableException.class, KeyVaultErrors.classify(new IllegalStateException("?"), KEY, "x"));
    KeyNotFoundException already = new KeyNotFoundException("gone", KEY);
    assertSame(already, KeyVaultErrors.classify(already, KEY, "x"));
  }

  @Test
  void isBadRequest_onlyForHttp400() {
    assertTrue(KeyVaultErrors.isBadRequest(new HttpResponseException("x", new TestResponse(VAULT_URL, 400, null))));
    assertFalse(KeyVaultErrors.isBadRequest(new HttpResponseException("x", new TestResponse(VAULT_URL, 403, null))));
    assertFalse(KeyVaultErrors.isBadRequest(new IllegalStateException()));
  }

  @Test
  void isBadRequest_notForTheTokenEndpointsAnswer() {
    // A managed-identity endpoint refusing with 400 during unwrap is not "the envelope's wrapped
    // key does not decrypt" (which would be reported as tampering).
    assertFalse(KeyVaultErrors.isBadRequest(new ClientAuthenticationException(
        "x", new TestResponse("http://127.0.0.1:1/msi/token", 400, "{}"))));
  }
}
