package dev.cmk.testkit.keyvault;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An identity known to a {@link LoopbackKeyVault}'s tenant: the system-assigned managed identity,
 * a user-assigned managed identity, or an application (service principal). Vault access is granted
 * to identities ({@link LoopbackVault#grant}); every bearer token the server issues names one.
 *
 * <p>Ids are derived from the tenant id and the identity's name, so the same name always yields
 * the same ids for a given tenant (stable across server restarts within a test run).
 *
 * @param name display name, unique within the server
 * @param kind what kind of identity this is
 * @param objectId the principal (object) id, a GUID
 * @param clientId the client (application) id, a GUID
 * @param resourceId the ARM resource id of a user-assigned identity; {@code null} otherwise
 */
public record VaultIdentity(
    String name, Kind kind, String objectId, String clientId, @Nullable String resourceId) {

  /** Kinds of identity. */
  public enum Kind {
    /** The host's system-assigned managed identity. */
    SYSTEM_ASSIGNED,
    /** A user-assigned managed identity, addressed by client id or resource id. */
    USER_ASSIGNED,
    /** An application / service principal; tokens come from {@link LoopbackKeyVault#issueToken}. */
    APPLICATION
  }

  /** Validates the fields. */
  public VaultIdentity {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(objectId, "objectId");
    Objects.requireNonNull(clientId, "clientId");
    if (name.isBlank()) {
      throw new IllegalArgumentException("name must not be blank");
    }
    if ((kind == Kind.USER_ASSIGNED) != (resourceId != null)) {
      throw new IllegalArgumentException("exactly the user-assigned identities have a resource id");
    }
  }
}
