package dev.cmk.testkit.keyvault;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One request the loopback managed-identity endpoint received.
 *
 * @param at when it arrived (real time)
 * @param resource the {@code resource} asked for, or {@code null}
 * @param clientId the {@code client_id} parameter (user-assigned by client id), or {@code null}
 * @param resourceId the {@code mi_res_id} / {@code msi_res_id} parameter, or {@code null}
 * @param objectId the {@code object_id} / {@code principal_id} parameter, or {@code null}
 * @param identity name of the identity a token was issued for, or {@code null} when refused
 * @param status the HTTP status answered
 */
public record ManagedIdentityRequest(
    Instant at,
    @Nullable String resource,
    @Nullable String clientId,
    @Nullable String resourceId,
    @Nullable String objectId,
    @Nullable String identity,
    int status) {

  /** Validates the required field. */
  public ManagedIdentityRequest {
    Objects.requireNonNull(at, "at");
  }
}
