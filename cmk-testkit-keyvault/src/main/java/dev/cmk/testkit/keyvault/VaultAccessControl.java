package dev.cmk.testkit.keyvault;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Who may do what in one loopback vault: per-identity grants, vault-wide or on one key, and the
 * 403 answers Key Vault gives when a permission is missing — in the wording of an access-policy
 * vault or of an RBAC vault / Managed HSM. Guarded by the vault's lock.
 */
final class VaultAccessControl {
  private final VaultState vault;
  private final LoopbackKeyVault server;
  private final Map<String, Map<String, EnumSet<KeyPermission>>> grants = new HashMap<>();
  private boolean rbac;

  VaultAccessControl(VaultState vault, LoopbackKeyVault server) {
    this.vault = vault;
    this.server = server;
    this.rbac = vault.kind == VaultState.Kind.MANAGED_HSM;
  }

  void setRbac(boolean enabled) {
    synchronized (vault.lock) {
      if (!enabled && vault.kind == VaultState.Kind.MANAGED_HSM) {
        throw new IllegalStateException("a Managed HSM always uses (local) RBAC");
      }
      rbac = enabled;
    }
  }

  void grant(VaultIdentity identity, @Nullable String keyName, Set<KeyPermission> permissions) {
    synchronized (vault.lock) {
      String scope = keyName == null ? "*" : keyName.toLowerCase(Locale.ROOT);
      grants
          .computeIfAbsent(identity.objectId(), k -> new HashMap<>())
          .computeIfAbsent(scope, k -> EnumSet.noneOf(KeyPermission.class))
          .addAll(permissions);
    }
  }

  void revoke(VaultIdentity identity, Set<KeyPermission> permissions) {
    synchronized (vault.lock) {
      Map<String, EnumSet<KeyPermission>> scopes = grants.get(identity.objectId());
      if (scopes != null) {
        for (EnumSet<KeyPermission> set : scopes.values()) {
          set.removeAll(permissions);
        }
      }
    }
  }

  void revokeOnKey(VaultIdentity identity, String keyName) {
    synchronized (vault.lock) {
      Map<String, EnumSet<KeyPermission>> scopes = grants.get(identity.objectId());
      if (scopes != null) {
        scopes.remove(keyName.toLowerCase(Locale.ROOT));
      }
    }
  }

  void revokeAll(VaultIdentity identity) {
    synchronized (vault.lock) {
      grants.remove(identity.objectId());
    }
  }

  /**
   * Checks that {@code identity} holds {@code permission} on the vault or on {@code keyName}.
   *
   * @param keyName the key, or null for a vault-wide operation (list)
   * @throws KeyVaultError 403 in the wording of the vault's permission model
   */
  void authorize(VaultIdentity identity, KeyPermission permission, @Nullable String keyName) {
    synchronized (vault.lock) {
      Map<String, EnumSet<KeyPermission>> scopes = grants.get(identity.objectId());
      if (scopes != null) {
        EnumSet<KeyPermission> all = scopes.get("*");
        if (all != null && all.contains(permission)) {
          return;
        }
        if (keyName != null) {
          EnumSet<KeyPermission> onKey = scopes.get(keyName.toLowerCase(Locale.ROOT));
          if (onKey != null && onKey.contains(permission)) {
            return;
          }
        }
      }
      String caller =
          "appid="
              + identity.clientId()
              + ";oid="
              + identity.objectId()
              + ";iss=https://sts.windows.net/"
              + server.tenantId()
              + "/";
      throw rbac
          ? forbiddenByRbac(caller, permission, keyName)
          : forbiddenByPolicy(caller, permission);
    }
  }

  private KeyVaultError forbiddenByRbac(
      String caller, KeyPermission permission, @Nullable String keyName) {
    String service = vault.kind == VaultState.Kind.MANAGED_HSM ? "managedHsm" : "vaults";
    return new KeyVaultError(
        403,
        "Forbidden",
        "Caller is not authorized to perform action on resource.\r\n"
            + "If role assignments, deny assignments or role definitions were changed recently,"
            + " please observe propagation time.\r\n"
            + "Caller: "
            + caller
            + "\r\nAction: 'Microsoft.KeyVault/"
            + service
            + "/keys/"
            + permission.azureName()
            + "/action'\r\nResource: '/subscriptions/00000000-0000-0000-0000-000000000000"
            + "/resourcegroups/cmk-loopback/providers/microsoft.keyvault/"
            + service
            + "/"
            + vault.name
            + (keyName == null ? "" : "/keys/" + keyName)
            + "'\r\nAssignment: (not found)\r\nVault: "
            + vault.name
            + ";location=loopback\r\n",
        "ForbiddenByRbac",
        null);
  }

  private KeyVaultError forbiddenByPolicy(String caller, KeyPermission permission) {
    return new KeyVaultError(
        403,
        "Forbidden",
        "The user, group or application '"
            + caller
            + "' does not have keys "
            + permission.azureName()
            + " permission on key vault '"
            + vault.name
            + ";location=loopback'. For help resolving this issue, please see"
            + " https://go.microsoft.com/fwlink/?linkid=2125287",
        "AccessDenied",
        null);
  }
}
