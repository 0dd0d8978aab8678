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
import org.jspecify.annotations.Nullable;

/**
 * A policy for the HTTP pipeline of the managed-identity credentials the provider builds: it sees
 * the managed-identity endpoint's status, which MSAL does not keep, and turns an answer that
 * refuses the identity by {@link IdentityRefusal#isRefusal} (an HTTP 400 such as IMDS "Identity
 * not found" or App Service "No User Assigned or Delegated Managed Identity found"; 400/401/403
 * with a refusing OAuth error) into a {@link Refused} exception. MSAL and azure-identity
 * carry it as the cause of the credential's exception, where {@link IdentityRefusal#of} finds it.
 *
 * <p>Only requests to a managed-identity endpoint are looked at (they carry {@code
 * X-IDENTITY-HEADER}, {@code Metadata} or Service Fabric's {@code secret} header); Entra ID token
 * requests of the workload-identity path pass unchanged. Other answers (Azure Arc's 401
 * challenge, 404, 429, 5xx) pass unchanged (buffered) to MSAL, which retries them.
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

  /** The managed-identity endpoint refused the identity ({@link IdentityRefusal#isRefusal}). */
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
      if (!mayRefuse(request, response)) {
        return Mono.just(response);
      }
      HttpResponse buffered = response.buffer();
      return buffered.getBodyAsString()
          .defaultIfEmpty("")
          .onErrorReturn("")
          .flatMap(body -> {
            Refused refused = refused(buffered.getStatusCode(), body);
            return refused == null ? Mono.just(buffered) : Mono.<HttpResponse>error(refused);
          });
    });
  }

  @Override
  public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
    HttpRequest request = context.getHttpRequest();
    HttpResponse response = next.processSync();
    if (!mayRefuse(request, response)) {
      return response;
    }
    HttpResponse buffered = response.buffer();
    String body;
    try {
      body = buffered.getBodyAsBinaryData().toString();
    } catch (RuntimeException e) {
      body = "";
    }
    Refused refused = refused(buffered.getStatusCode(), body);
    if (refused == null) {
      return buffered;
    }
    buffered.close();
    throw refused;
  }

  @Override
  public HttpPipelinePosition getPipelinePosition() {
    return HttpPipelinePosition.PER_CALL;
  }

  private static boolean mayRefuse(HttpRequest request, HttpResponse response) {
    int status = response.getStatusCode();
    return (status == 400 || status == 401 || status == 403) && isManagedIdentityRequest(request);
  }

  static boolean isManagedIdentityRequest(HttpRequest request) {
    return request.getHeaders().getValue(IDENTITY_HEADER) != null
        || request.getHeaders().getValue(METADATA) != null
        || request.getHeaders().getValue(SERVICE_FABRIC_SECRET) != null;
  }

  /**
   * The exception when {@link IdentityRefusal#isRefusal} says the answer refuses the identity,
   * naming the status and the OAuth {@code error} when it is a plain code; null otherwise.
   */
  static @Nullable Refused refused(int status, String body) {
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
    if (!IdentityRefusal.isRefusal(status, code)) {
      return null;
    }
    return new Refused(
        "the managed-identity endpoint answered HTTP " + status + (code == null ? "" : " " + code));
  }
}
