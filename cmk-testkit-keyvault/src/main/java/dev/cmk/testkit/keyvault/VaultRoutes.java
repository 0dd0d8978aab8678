package dev.cmk.testkit.keyvault;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * REST routing of the keys data plane: maps method and path ({@code /keys/...},
 * {@code /deletedkeys/...}) to the permission it needs ({@link VaultAccessControl}) and the
 * operation that answers it ({@link KeyOperations}, {@link KeyCrypto}, {@link KeySubResources});
 * unknown routes are 404, wrong methods 405, malformed key names and versions 400, as Key Vault
 * answers them.
 *
 * <p>The third path segment is a version only when it is not one of Key Vault's sub-resources of
 * a key ({@code create}, {@code rotate}, {@code versions}, {@code rotationpolicy}, {@code
 * backup}), and {@code POST /keys/restore} restores a backup rather than naming a key.
 */
final class VaultRoutes {

  /**
   * One authenticated request.
   *
   * @param segments path segments after the leading slash (empty segments kept)
   * @param query decoded query parameters
   * @param baseUrl {@code https://authority} used to build key identifiers in answers
   */
  record Call(
      String method,
      List<String> segments,
      Map<String, String> query,
      byte[] body,
      VaultIdentity identity,
      String baseUrl) {

    Map<String, Object> json() {
      return Json.parseObject(body);
    }

    Paging paging() {
      return Paging.of(query);
    }
  }

  private final VaultKeys store;
  private final VaultAccessControl access;
  private final KeyOperations ops;
  private final KeyCrypto crypto;
  private final KeySubResources sub;

  VaultRoutes(
      VaultKeys store,
      VaultAccessControl access,
      KeyOperations ops,
      KeyCrypto crypto,
      KeySubResources sub) {
    this.store = store;
    this.access = access;
    this.ops = ops;
    this.crypto = crypto;
    this.sub = sub;
  }

  /** Routes one authenticated request of the keys data plane. */
  VaultState.Result dispatch(Call call) {
    store.purgeExpiredDeletedKeys();
    String collection = call.segments().get(0);
    if ("keys".equals(collection)) {
      return keys(call);
    }
    if ("deletedkeys".equals(collection)) {
      return deletedKeys(call);
    }
    throw notFoundRoute();
  }

  /**
   * Whether the call names a whole collection ({@code /keys} or {@code /keys/}, likewise {@code
   * /deletedkeys}), which can only be listed: such a call must be a GET by an identity with the
   * list permission, else it is refused here.
   */
  private boolean isListing(Call call) {
    List<String> segments = call.segments();
    int n = segments.size();
    if (n != 1 && !(n == 2 && segments.get(1).isEmpty())) {
      return false;
    }
    requireMethod(call.method(), "GET");
    access.authorize(call.identity(), KeyPermission.LIST, null);
    return true;
  }

  private VaultState.Result keys(Call call) {
    List<String> segments = call.segments();
    String method = call.method();
    int n = segments.size();
    if (isListing(call)) {
      return ok(ops.listKeys(call.baseUrl(), call.paging()));
    }
    String keyName = checkName(segments.get(1));
    if (n == 2) {
      switch (method) {
        case "GET":
          authorize(call, KeyPermission.GET, keyName);
          return ok(ops.getKey(keyName, "", call.baseUrl()));
        case "DELETE":
          authorize(call, KeyPermission.DELETE, keyName);
          return ok(ops.deleteKey(keyName, call.baseUrl()));
        case "POST":
          if (keyName.equals("restore")) {
            authorize(call, KeyPermission.RESTORE, null);
            return ok(sub.restore(call.json(), call.baseUrl()));
          }
          throw methodNotAllowed();
        case "PUT":
          throw KeyVaultError.badParameter(
              "Key import is not supported by the loopback Key Vault; create the key, or use"
                  + " LoopbackVault.importRsaKey.");
        default:
          throw methodNotAllowed();
      }
    }
    String third = segments.get(2);
    if (n == 3) {
      return keySubResource(call, keyName, third);
    }
    if (n == 4) {
      String version = checkVersion(third);
      return versionOperation(call, keyName, version, segments.get(3));
    }
    throw notFoundRoute();
  }

  private VaultState.Result keySubResource(Call call, String keyName, String third) {
    String method = call.method();
    switch (third) {
      case "create":
        requireMethod(method, "POST");
        authorize(call, KeyPermission.CREATE, keyName);
        return ok(ops.createKey(keyName, call.json(), call.baseUrl()));
      case "rotate":
        requireMethod(method, "POST");
        authorize(call, KeyPermission.ROTATE, keyName);
        return ok(ops.rotateKey(keyName, call.baseUrl()));
      case "versions":
        requireMethod(method, "GET");
        authorize(call, KeyPermission.LIST, keyName);
        return ok(ops.listVersions(keyName, call.baseUrl(), call.paging()));
      case "rotationpolicy":
        if (method.equals("GET")) {
          authorize(call, KeyPermission.GET_ROTATION_POLICY, keyName);
          return ok(sub.rotationPolicy(keyName, call.baseUrl()));
        }
        requireMethod(method, "PUT");
        authorize(call, KeyPermission.SET_ROTATION_POLICY, keyName);
        return ok(sub.setRotationPolicy(keyName, call.json(), call.baseUrl()));
      case "backup":
        requireMethod(method, "POST");
        authorize(call, KeyPermission.BACKUP, keyName);
        return ok(sub.backup(keyName));
      default:
        break;
    }
    String version = checkVersion(third);
    switch (method) {
      case "GET":
        authorize(call, KeyPermission.GET, keyName);
        return ok(ops.getKey(keyName, version, call.baseUrl()));
      case "PATCH":
        authorize(call, KeyPermission.UPDATE, keyName);
        return ok(ops.updateKey(keyName, version, call.json(), call.baseUrl()));
      default:
        throw methodNotAllowed();
    }
  }

  private VaultState.Result versionOperation(
      Call call, String keyName, String version, String operation) {
    if (operation.equals("attestation")) {
      requireMethod(call.method(), "GET");
      authorize(call, KeyPermission.GET, keyName);
      throw sub.noAttestation(keyName, version);
    }
    requireMethod(call.method(), "POST");
    KeyCrypto.Operation op = KeyCrypto.Operation.ofPathSegment(operation);
    if (op != null) {
      authorize(call, op.permission, keyName);
      return ok(crypto.apply(op, keyName, version, call.json(), call.baseUrl()));
    }
    if (operation.equals("release")) {
      authorize(call, KeyPermission.RELEASE, keyName);
      throw sub.release(keyName, version, call.json());
    }
    throw notFoundRoute();
  }

  private VaultState.Result deletedKeys(Call call) {
    List<String> segments = call.segments();
    String method = call.method();
    int n = segments.size();
    if (isListing(call)) {
      return ok(ops.listDeletedKeys(call.baseUrl(), call.paging()));
    }
    String keyName = checkName(segments.get(1));
    if (n == 2) {
      switch (method) {
        case "GET":
          authorize(call, KeyPermission.GET, keyName);
          return ok(ops.getDeletedKey(keyName, call.baseUrl()));
        case "DELETE":
          authorize(call, KeyPermission.PURGE, keyName);
          ops.purgeDeletedKey(keyName);
          return new VaultState.Result(204, null);
        default:
          throw methodNotAllowed();
      }
    }
    if (n == 3 && segments.get(2).equals("recover")) {
      requireMethod(method, "POST");
      authorize(call, KeyPermission.RECOVER, keyName);
      return ok(ops.recoverDeletedKey(keyName, call.baseUrl()));
    }
    throw notFoundRoute();
  }

  private void authorize(Call call, KeyPermission permission, @Nullable String keyName) {
    access.authorize(call.identity(), permission, keyName);
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
