package dev.cmk.azure.internal;

import com.microsoft.aad.msal4j.MsalServiceException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Recognises a token endpoint refusing the identity itself (a deleted, disabled or unassigned
 * managed identity; an application Entra ID no longer accepts), as opposed to the endpoint being
 * unreachable or failing.
 *
 * <p>azure-identity wraps every token failure into a {@code ClientAuthenticationException} without
 * an HTTP response, and MSAL does not keep the managed-identity endpoint's status. What survives is
 * MSAL's {@link MsalServiceException}, somewhere in the cause chain:
 *
 * <ul>
 *   <li>Entra ID (client secret / certificate / workload identity): the exception carries the
 *       status and the OAuth {@code error}, judged by {@link #isRefusal} (a deleted or disabled
 *       application answers {@code unauthorized_client}, a revoked secret {@code invalid_client}).
 *   <li>IMDS: a 400 ("Identity not found": the identity is not, or no longer, assigned to the
 *       machine) becomes MSAL's message "The requested identity has not been assigned to this
 *       resource. Status: 400 ...".
 *   <li>App Service, Functions, Container Apps: the endpoint's 400 body becomes MSAL's message,
 *       either "Error Message: No User Assigned or Delegated Managed Identity found for specified
 *       ClientId/ResourceId/PrincipalId." or, for an OAuth-style body, "Error Code: {error}".
 * </ul>
 *
 * <p>For the managed-identity credentials the provider builds itself, {@link
 * ManagedIdentityRefusalPolicy} sees the endpoint's status directly and puts a {@link
 * ManagedIdentityRefusalPolicy.Refused} into the chain; the message checks above cover credentials
 * the application passes in.
 *
 * <p>Anything else (connection failures, 404, 408, 429, 5xx after MSAL's own retries, MSAL client
 * errors) is not a refusal: the caller treats it as an outage and retries.
 */
public final class IdentityRefusal {
  private static final int MAX_CAUSE_DEPTH = 16;
  private static final String MANAGED_IDENTITY_REQUEST_FAILED = "managed_identity_request_failed";
  private static final Set<String> REFUSING_OAUTH_ERRORS =
      Set.of("invalid_request", "invalid_client", "unauthorized_client");
  private static final Pattern MSAL_ERROR_CODE =
      Pattern.compile("Error Code: (invalid_request|invalid_client|unauthorized_client)\\b");
  private static final Pattern IMDS_BAD_REQUEST = Pattern.compile("Status: ?400(?!\\d)");
  private static final String[] NOT_FOUND_MESSAGES = {
    // App Service / Functions (2019-08-01 protocol) and its older wording
    "no user assigned or delegated managed identity found",
    "no msi found for specified",
    // IMDS's error_description
    "identity not found",
    // MSAL's text for an IMDS 400
    "requested identity has not been assigned to this resource",
  };

  private IdentityRefusal() {}

  /**
   * Whether {@code failure} is a token endpoint refusing the identity.
   *
   * @param failure what the credential (through the SDK) threw
   * @return a short description of the signal (no principal names, ids or tokens), or empty when
   *     the failure is not a refusal
   */
  public static Optional<String> of(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < MAX_CAUSE_DEPTH; depth++) {
      Optional<String> found = check(t);
      if (found.isPresent()) {
        return found;
      }
      for (Throwable s : t.getSuppressed()) {
        found = check(s);
        if (found.isPresent()) {
          return found;
        }
      }
      t = t.getCause();
    }
    return Optional.empty();
  }

  /**
   * The one rule for a token endpoint's HTTP answer, wherever it is seen (the credential's
   * response, MSAL's exception, {@link ManagedIdentityRefusalPolicy}): the identity is refused
   * when the endpoint answers HTTP 400 without an OAuth {@code error} (the managed-identity
   * endpoints' "identity not found"), or HTTP 400, 401 or 403 with the {@code error} {@code
   * invalid_request}, {@code invalid_client} or {@code unauthorized_client} (case-insensitive).
   * Anything else (other codes such as {@code invalid_scope}, 401 / 403 without a code as in
   * Azure Arc's challenge, 404, 408, 429, 5xx) is not a refusal.
   *
   * @param status the token endpoint's HTTP status
   * @param oauthError the body's {@code error} string, or {@code null} (or empty) when none
   * @return whether the answer refuses the identity
   */
  public static boolean isRefusal(int status, @Nullable String oauthError) {
    if (oauthError == null || oauthError.isEmpty()) {
      return status == 400;
    }
    return (status == 400 || status == 401 || status == 403)
        && REFUSING_OAUTH_ERRORS.contains(oauthError.toLowerCase(Locale.ROOT));
  }

  /**
   * Whether a token endpoint's answer, when the credential kept it, refuses the identity ({@link
   * #isRefusal}).
   *
   * @param status the token endpoint's HTTP status
   * @param oauthError the body's {@code error} string, or {@code null}
   * @return a short description of the signal, or empty
   */
  public static Optional<String> ofAnswer(int status, @Nullable String oauthError) {
    if (!isRefusal(status, oauthError)) {
      return Optional.empty();
    }
    return Optional.of("the token endpoint answered HTTP " + status
        + (oauthError == null || oauthError.isEmpty() ? "" : " " + oauthError.toLowerCase(Locale.ROOT)));
  }

  private static Optional<String> check(Throwable t) {
    if (t instanceof ManagedIdentityRefusalPolicy.Refused) {
      return Optional.of(t.getMessage());
    }
    if (!(t instanceof MsalServiceException)) {
      return Optional.empty();
    }
    MsalServiceException e = (MsalServiceException) t;
    String code = e.errorCode() == null ? "" : e.errorCode().toLowerCase(Locale.ROOT);
    Integer status = e.statusCode();
    if (status != null) {
      // Entra ID's token endpoint: an OAuth error response with its status.
      if (isRefusal(status, code)) {
        return Optional.of("Entra ID answered HTTP " + status + (code.isEmpty() ? "" : " " + code));
      }
      return Optional.empty();
    }
    if (e.managedIdentitySource() == null || !MANAGED_IDENTITY_REQUEST_FAILED.equals(code)) {
      return Optional.empty();
    }
    String message = e.getMessage() == null ? "" : e.getMessage();
    String source = e.managedIdentitySource();
    if (IMDS_BAD_REQUEST.matcher(message).find()) {
      return Optional.of("the " + source + " managed-identity endpoint answered HTTP 400");
    }
    Matcher m = MSAL_ERROR_CODE.matcher(message);
    if (m.find()) {
      return Optional.of("the " + source + " managed-identity endpoint answered " + m.group(1));
    }
    String lower = message.toLowerCase(Locale.ROOT);
    for (String notFound : NOT_FOUND_MESSAGES) {
      if (lower.contains(notFound)) {
        return Optional.of("the " + source + " managed-identity endpoint does not know the identity");
      }
    }
    return Optional.empty();
  }
}
