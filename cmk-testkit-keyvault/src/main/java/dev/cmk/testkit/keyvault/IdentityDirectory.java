package dev.cmk.testkit.keyvault;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The identities of one loopback server (the tenant's directory): the system-assigned managed
 * identity, user-assigned managed identities and applications, with ids derived from the tenant,
 * kind and name (stable across runs), and the managed-identity endpoint's lookup by client id,
 * resource id or object id.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
final class IdentityDirectory {
  private final String tenantId;
  private final Map<String, VaultIdentity> identities = new ConcurrentHashMap<>();
  private final VaultIdentity systemAssigned;

  IdentityDirectory(String tenantId) {
    this.tenantId = tenantId;
    this.systemAssigned = newIdentity("system-assigned", VaultIdentity.Kind.SYSTEM_ASSIGNED);
    identities.put(systemAssigned.name(), systemAssigned);
  }

  VaultIdentity systemAssigned() {
    return systemAssigned;
  }

  /** Creates (or returns the existing) identity; IAE if the name is taken by another kind. */
  VaultIdentity create(String name, VaultIdentity.Kind kind) {
    Objects.requireNonNull(name, "name");
    VaultIdentity identity = identities.computeIfAbsent(name, n -> newIdentity(n, kind));
    if (identity.kind() != kind) {
      throw new IllegalArgumentException(
          "identity name " + name + " is taken by a " + identity.kind());
    }
    return identity;
  }

  Optional<VaultIdentity> find(String name) {
    return Optional.ofNullable(identities.get(name));
  }

  /** Whether {@code identity} is one of this directory's (same name and ids). */
  boolean isKnown(VaultIdentity identity) {
    return identity.equals(identities.get(identity.name()));
  }

  /**
   * The managed identity a token request names: the system-assigned one when it names none, else
   * the user-assigned one with that client id, resource id or object id.
   */
  Optional<VaultIdentity> findManaged(String clientId, String resourceId, String objectId) {
    if (clientId == null && resourceId == null && objectId == null) {
      return Optional.of(systemAssigned);
    }
    for (VaultIdentity id : identities.values()) {
      if (id.kind() == VaultIdentity.Kind.APPLICATION) {
        continue;
      }
      boolean userAssigned = id.kind() == VaultIdentity.Kind.USER_ASSIGNED;
      if (clientId != null && userAssigned && id.clientId().equalsIgnoreCase(clientId)) {
        return Optional.of(id);
      }
      if (resourceId != null && resourceId.equalsIgnoreCase(id.resourceId())) {
        return Optional.of(id);
      }
      if (objectId != null && userAssigned && id.objectId().equalsIgnoreCase(objectId)) {
        return Optional.of(id);
      }
    }
    return Optional.empty();
  }

  private VaultIdentity newIdentity(String name, VaultIdentity.Kind kind) {
    String seed = tenantId + "|" + kind + "|" + name;
    String objectId = uuid(seed + "|object");
    String clientId = uuid(seed + "|client");
    String resourceId =
        kind == VaultIdentity.Kind.USER_ASSIGNED
            ? "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/cmk-loopback"
                + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
                + name
            : null;
    return new VaultIdentity(name, kind, objectId, clientId, resourceId);
  }

  private static String uuid(String seed) {
    return UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString();
  }
}
