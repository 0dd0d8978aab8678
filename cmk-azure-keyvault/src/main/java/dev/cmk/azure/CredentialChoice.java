package dev.cmk.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.policy.RetryOptions;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import dev.cmk.azure.internal.ManagedIdentityRefusalPolicy;
import org.jspecify.annotations.Nullable;

/**
 * The one way to authenticate an {@link AzureKeyVaultProviderBuilder} chose, and the credential
 * it makes: the caller's {@link TokenCredential}, a managed identity (system-assigned, or
 * user-assigned by client id or resource id) or {@code DefaultAzureCredential}, the latter two
 * with the builder's HTTP client and retry options.
 *
 * @param kind what was chosen
 * @param tokenCredential the caller's credential, for {@link Kind#TOKEN_CREDENTIAL} only
 * @param managedIdentityId the client or resource id of a user-assigned identity, else null
 */
record CredentialChoice(
    Kind kind, @Nullable TokenCredential tokenCredential, @Nullable String managedIdentityId) {

  /** The ways to authenticate. */
  enum Kind {
    TOKEN_CREDENTIAL,
    SYSTEM_ASSIGNED,
    USER_ASSIGNED_CLIENT_ID,
    USER_ASSIGNED_RESOURCE_ID,
    DEFAULT_AZURE_CREDENTIAL
  }

  static CredentialChoice of(Kind kind) {
    return new CredentialChoice(kind, null, null);
  }

  /**
   * Makes the credential.
   *
   * @param httpClient the builder's HTTP client, or null for the SDK's
   * @param retryOptions the builder's retry options, or null for the SDK's
   */
  TokenCredential create(@Nullable HttpClient httpClient, @Nullable RetryOptions retryOptions) {
    switch (kind) {
      case TOKEN_CREDENTIAL:
        return tokenCredential;
      case SYSTEM_ASSIGNED:
        return managedIdentity(httpClient, retryOptions).build();
      case USER_ASSIGNED_CLIENT_ID:
        return managedIdentity(httpClient, retryOptions).clientId(managedIdentityId).build();
      case USER_ASSIGNED_RESOURCE_ID:
        return managedIdentity(httpClient, retryOptions).resourceId(managedIdentityId).build();
      case DEFAULT_AZURE_CREDENTIAL:
        DefaultAzureCredentialBuilder d = new DefaultAzureCredentialBuilder();
        if (httpClient != null) {
          d.httpClient(httpClient);
        }
        if (retryOptions != null) {
          d.retryOptions(retryOptions);
        }
        return d.build();
      default:
        throw new AssertionError(kind);
    }
  }

  private static ManagedIdentityCredentialBuilder managedIdentity(
      HttpClient httpClient, RetryOptions retryOptions) {
    // Sees the endpoint's HTTP 400 that MSAL drops, so that a deleted, disabled or unassigned
    // identity is classified IDENTITY_NOT_AUTHORIZED whatever the endpoint's wording.
    ManagedIdentityCredentialBuilder m =
        new ManagedIdentityCredentialBuilder().addPolicy(new ManagedIdentityRefusalPolicy());
    if (httpClient != null) {
      m.httpClient(httpClient);
    }
    if (retryOptions != null) {
      m.retryOptions(retryOptions);
    }
    return m;
  }
}
