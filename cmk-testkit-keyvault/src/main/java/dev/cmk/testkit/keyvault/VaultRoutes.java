package dev.cmk.testkit.keyvault;

import java.util.List;

/**
 * REST routing of the keys data plane: maps method and path ({@code /keys/...},
 * {@code /deletedkeys/...}) to the permission it needs ({@link VaultAccessControl}) and the
 * operation that answers it ({@link KeyOperations}); unknown routes are 404, wrong methods 405,
 * malformed key names and versions 400, as Key Vault answers them.
 */
final class VaultRoutes {
  private final VaultKeys store;
  private final VaultAccessControl access;
  private final KeyOperations ops;

  VaultRoutes(VaultKeys store, VaultAccessControl access, KeyOperations ops) {
    this.store = store;
    this.access = access;
    this.ops = ops;
  }

  /**
   * Routes one authenticated request of the keys data plane.
   *
   * @param segments path segments after the leading slash (empty segments kept)
   * @param baseUrl {@code https://authority} used to build key identifiers in answers
   */
  VaultState.Result dispatch(
      String method, List<String> segments, byte[] body, VaultIdentity identity, String baseUrl) {
    store.purgeExpiredDeletedKeys();
    String collection = segments.get(0);
    if ("keys".equals(collection)) {
      return keys(method, segments, body, identity, baseUrl);
    }
    if ("deletedkeys".equals(collection)) {
      return deletedKeys(method, segments, identity, baseUrl);
    }
    throw notFoundRoute();
  }

  private VaultState.Result keys(
      String method, List<String> segments, byte[] body, VaultIdentity identity, String baseUrl) {
    int n = segments.size();
    if (n == 1 || (n == 2 && segments.get(1).isEmpty())) {
      requireMethod(method, "GET");
      access.authorize(identity, KeyPermission.LIST, null);
      return ok(ops.listKeys(baseUrl));
    }
    String keyName = checkName(segments.get(1));
    if (n == 2) {
      switch (method) {
        case "GET":
          access.authorize(identity, KeyPermission.GET, keyName);
          return ok(ops.getKey(keyName, "", baseUrl));
        case "DELETE":
          access.authorize(identity, KeyPermission.DELETE, keyName);
          return ok(ops.deleteKey(keyName, baseUrl));
        default:
          throw methodNotAllowed();
      }
    }
    String third = segments.get(2);
    if (n == 3) {
      if (third.equals("create")) {
        requireMethod(method, "POST");
        access.authorize(identity, KeyPermission.CREATE, keyName);
        return ok(ops.createKey(keyName, Json.parseObject(body), baseUrl));
      }
      if (third.equals("rotate")) {
        requireMethod(method, "POST");
        access.authorize(identity, KeyPermission.ROTATE, keyName);
        return ok(ops.rotateKey(keyName, baseUrl));
      }
      if (third.equals("versions")) {
        requireMethod(method, "GET");
        access.authorize(identity, KeyPermission.LIST, keyName);
        return ok(ops.listVersions(keyName, baseUrl));
      }
      String version = checkVersion(third);
      switch (method) {
        case "GET":
          access.authorize(identity, KeyPermission.GET, keyName);
          return ok(ops.getKey(keyName, version, baseUrl));
        case "PATCH":
          access.authorize(identity, KeyPermission.UPDATE, keyName);
          return ok(ops.updateKey(keyName, version, Json.parseObject(body), baseUrl));
        default:
          throw methodNotAllowed();
      }
    }
    if (n == 4) {
      String version = checkVersion(third);
      requireMethod(method, "POST");
      switch (segments.get(3)) {
        case "wrapkey":
          return crypt(identity, KeyPermission.WRAP_KEY, keyName, version, "wrapKey", true, body, baseUrl);
        case "unwrapkey":
          return crypt(identity, KeyPermission.UNWRAP_KEY, keyName, version, "unwrapKey", false, body, baseUrl);
        case "encrypt":
          return crypt(identity, KeyPermission.ENCRYPT, keyName, version, "encrypt", true, body, baseUrl);
        case "decrypt":
          return crypt(identity, KeyPermission.DECRYPT, keyName, version, "decrypt", false, body, baseUrl);
        default:
          throw notFoundRoute();
      }
    }
    throw notFoundRoute();
  }

  private VaultState.Result crypt(
      VaultIdentity identity,
      KeyPermission permission,
      String keyName,
      String version,
      String operation,
      boolean encrypting,
      byte[] body,
      String baseUrl) {
    access.authorize(identity, permission, keyName);
    return ok(ops.crypt(keyName, version, operation, encrypting, Json.parseObject(body), baseUrl));
  }

  private VaultState.Result deletedKeys(
      String method, List<String> segments, VaultIdentity identity, String baseUrl) {
    int n = segments.size();
    if (n == 1 || (n == 2 && segments.get(1).isEmpty())) {
      requireMethod(method, "GET");
      access.authorize(identity, KeyPermission.LIST, null);
      return ok(ops.listDeletedKeys(baseUrl));
    }
    String keyName = checkName(segments.get(1));
    if (n == 2) {
      switch (method) {
        case "GET":
          access.authorize(identity, KeyPermission.GET, keyName);
          return ok(ops.getDeletedKey(keyName, baseUrl));
        case "DELETE":
          access.authorize(identity, KeyPermission.PURGE, keyName);
          ops.purgeDeletedKey(keyName);
          return new VaultState.Result(204, null);
        default:
          throw methodNotAllowed();
      }
    }
    if (n == 3 && segments.get(2).equals("recover")) {
      requireMethod(method, "POST");
      access.authorize(identity, KeyPermission.RECOVER, keyName);
      return ok(ops.recoverDeletedKey(keyName, baseUrl));
    }
    throw notFoundRoute();
  }

  private static VaultState.Result ok(Object body) {
    return new VaultState.Result(200, body);
  }

  private static void requireMethod(String method, String expected) {
    if (!method.equals(expected)) {
      throw methodNotAllowed();
    }
  }

  private static KeyVaultError methodNotAllowed() {
    return new KeyVaultError(
        405, "MethodNotAllowed", "The requested method is not supported for this resource.");
  }

  private static KeyVaultError notFoundRoute() {
    return new KeyVaultError(404, "NotFound", "The requested resource does not exist.");
  }

  /** A key name as Key Vault allows it (1-127 of {@code [0-9a-zA-Z-]}); 400 otherwise. */
  static String checkName(String keyName) {
    if (!keyName.matches("[0-9a-zA-Z-]{1,127}")) {
      throw KeyVaultError.badParameter(
          "The request URI contains an invalid name: " + keyName + ". Follow this link for more"
              + " information: https://go.microsoft.com/fwlink/?linkid=2147742");
    }
    return keyName;
  }

  /** A key name given by a test (not a request): 1-127 of {@code [0-9a-zA-Z-]}, or an IAE. */
  static String checkNameArgument(String keyName) {
    if (!keyName.matches("[0-9a-zA-Z-]{1,127}")) {
      throw new IllegalArgumentException(
          "key name must be 1-127 of [0-9a-zA-Z-], found '" + keyName + "'");
    }
    return keyName;
  }

  private static String checkVersion(String version) {
    if (!version.isEmpty() && !version.matches("[0-9a-fA-F]{32}")) {
      throw KeyVaultError.badParameter("Invalid key version: " + version);
    }
    return version;
  }
}
