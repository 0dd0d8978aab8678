package dev.cmk.azure.internal;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpPipelinePosition;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import java.util.Locale;
import java.util.regex.Pattern;
import reactor.core.publisher.Mono;

/**
 * A policy for the HTTP pipeline of the managed-identity credentials the provider builds: it sees
 * the managed-identity endpoint's status, which MSAL does not keep, and turns an HTTP 400 (IMDS
 * "Identity not found", App Service "No User Assigned or Delegated Managed Identity found", any
 * other refusal of the request as made) into a {@link Refused} exception. MSAL and azure-identity
 * carry it as the cause of the credential's exception, where {@link IdentityRefusal#of} finds it.
 *
 * <p>Only requests to a managed-identity endpoint are looked at (they carry {@code
 * X-IDENTITY-HEADER}, {@code Metadata} or Service Fabric's {@code secret} header); Entra ID token
 * requests of the workload-identity path pass unchanged. Other statuses (Azure Arc's 401
 * challenge, 404, 429, 5xx) pass unchanged to MSAL, which retries them.
 *
 * <p>Not for {@code DefaultAzureCredential}: there an IMDS 400 must let the chain try the next
 * credential.
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class ManagedIdentityRefusalPolicy implements HttpPipelinePolicy {
  private static final HttpHeaderName IDENTITY_HEADER = HttpHeaderName.fromString("X-IDENTITY-HEADER");
  private static final HttpHeaderName METADATA = HttpHeaderName.fromString("Metadata");
  private static final HttpHeaderName SERVICE_FABRIC_SECRET = HttpHeaderName.fromString("secret");
  private static final Pattern OAUTH_ERROR = Pattern.compile("[a-z_]{1,40}");

  /** The managed-identity endpoint refused the token request with HTTP 400. */
  public static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message, null, false, false);
    }
  }

  @Override
  public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
    HttpRequest request = context.getHttpRequest();
    return next.process().flatMap(response -> {
      if (!refuses(request, response)) {
        return Mono.just(response);
      }
      return response.getBodyAsString()
          .defaultIfEmpty("")
          .onErrorReturn("")
          .flatMap(body -> Mono.error(refused(response.getStatusCode(), body)));
    });
  }

  @Override
  public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
    HttpRequest request = context.getHttpRequest();
    HttpResponse response = next.processSync();
    if (!refuses(request, response)) {
      return response;
    }
    String body;
    try {
      body = response.getBodyAsBinaryData().toString();
    } catch (RuntimeException e) {
      body = "";
    } finally {
      response.close();
    }
    throw refused(response.getStatusCode(), body);
  }

  @Override
  public HttpPipelinePosition getPipelinePosition() {
    return HttpPipelinePosition.PER_CALL;
  }

  private static boolean refuses(HttpRequest request, HttpResponse response) {
    return response.getStatusCode() == 400 && isManagedIdentityRequest(request);
  }

  static boolean isManagedIdentityRequest(HttpRequest request) {
    return request.getHeaders().getValue(IDENTITY_HEADER) != null
        || request.getHeaders().getValue(METADATA) != null
        || request.getHeaders().getValue(SERVICE_FABRIC_SECRET) != null;
  }

  /** The exception, naming the status and the OAuth {@code error} when it is a plain code. */
  static Refused refused(int status, String body) {
    String code = null;
    try {
      java.util.Map<String, Object> parsed =
          KeyVaultErrors.parse(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      Object error = parsed == null ? null : parsed.get("error");
      if (error instanceof String && OAUTH_ERROR.matcher(((String) error).toLowerCase(Locale.ROOT)).matches()) {
        code = ((String) error).toLowerCase(Locale.ROOT);
      }
    } catch (java.io.IOException | RuntimeException notJson) {
      // no OAuth error code to name
    }
    return new Refused(
        "the managed-identity endpoint answered HTTP " + status + (code == null ? "" : " " + code));
  }
}
