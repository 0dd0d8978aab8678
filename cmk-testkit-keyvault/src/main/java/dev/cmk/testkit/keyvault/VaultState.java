package dev.cmk.testkit.keyvault;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * The state of one loopback vault and the Key Vault keys data-plane operations on it. All state is
 * guarded by {@link #lock}; RSA key generation and private-key operations run outside it.
 */
final class VaultState {

  /** What kind of service the vault imitates. */
  enum Kind {
    KEY_VAULT,
    MANAGED_HSM
  }

  /** A REST answer: status and JSON body ({@code null} for no content). */
  record Result(int status, Object body) {}

  static final List<String> DEFAULT_RSA_KEY_OPS =
      List.of("encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey");
  private static final Set<String> KNOWN_KEY_OPS =
      Set.of("encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "import", "export");
  private static final Set<Integer> RSA_SIZES = Set.of(2048, 3072, 4096);
  private static final int MAX_RECORDS = 10_000;

  /** One version of a key. Fields other than the key pair are guarded by the vault lock. */
  static final class StoredVersion {
    final String version;
    final String kty;
    final KeyPair keyPair;
    List<String> keyOps;
    boolean enabled;
    Long notBefore;
    Long expires;
    final long created;
    long updated;
    Map<String, String> tags;

    StoredVersion(
        String version,
        String kty,
        KeyPair keyPair,
        List<String> keyOps,
        boolean enabled,
        Long notBefore,
        Long expires,
        long created,
        Map<String, String> tags) {
      this.version = version;
      this.kty = kty;
      this.keyPair = keyPair;
      this.keyOps = keyOps;
      this.enabled = enabled;
      this.notBefore = notBefore;
      this.expires = expires;
      this.created = created;
      this.updated = created;
      this.tags = tags;
    }

    int sizeBits() {
      return ((RSAPublicKey) keyPair.getPublic()).getModulus().bitLength();
    }
  }

  /** A key: its versions in creation order, and its deletion state. */
  static final class StoredKey {
    final String name;
    final List<StoredVersion> versions = new ArrayList<>();
    long deletedDate;
    long scheduledPurgeDate;

    StoredKey(String name) {
      this.name = name;
    }

    StoredVersion latest() {
      return versions.get(versions.size() - 1);
    }

    StoredVersion version(String version) {
      for (StoredVersion v : versions) {
        if (v.version.equalsIgnoreCase(version)) {
          return v;
        }
      }
      return null;
    }
  }

  final String name;
  final Kind kind;
  final String host;
  private final LoopbackKeyVault server;
  private final Clock clock;
  private final SecureRandom random;
  final Object lock = new Object();

  private final Map<String, StoredKey> keys = new LinkedHashMap<>();
  private final Map<String, StoredKey> deleted = new LinkedHashMap<>();

  private boolean softDelete = true;
  private int retentionDays = 90;
  private boolean purgeProtection;
  private boolean protectedSubscription;
  private boolean rbac;

  private final Map<String, Map<String, EnumSet<KeyPermission>>> grants = new HashMap<>();

  private int failNext;
  private int failStatus;
  private int throttleNext;
  private long throttleRetryAfterSeconds = 1;
  private Duration latency = Duration.ZERO;
  private int requestLimit;
  private long requestLimitWindowNanos;
  private final ArrayDeque<Long> recentRequests = new ArrayDeque<>();

  private final ArrayDeque<RecordedRequest> records = new ArrayDeque<>();
  private long requestCount;
  private long throttledCount;

  VaultState(
      String name, Kind kind, String host, LoopbackKeyVault server, Clock clock, SecureRandom random) {
    this.name = name;
    this.kind = kind;
    this.host = host;
    this.server = server;
    this.clock = clock;
    this.random = random;
    if (kind == Kind.MANAGED_HSM) {
      rbac = true;
    }
  }

  // ---------------------------------------------------------------- settings

  void setSoftDelete(boolean enabled, int days) {
    if (days < 7 || days > 90) {
      throw new IllegalArgumentException("retentionDays must be 7-90");
    }
    synchronized (lock) {
      if (!enabled && kind == Kind.MANAGED_HSM) {
        throw new IllegalStateException("soft delete cannot be disabled on a Managed HSM");
      }
      if (!enabled && purgeProtection) {
        throw new IllegalStateException("soft delete cannot be disabled while purge protection is on");
      }
      if (!enabled && !deleted.isEmpty()) {
        throw new IllegalStateException("the vault holds soft-deleted keys; purge them first");
      }
      softDelete = enabled;
      retentionDays = days;
    }
  }

  void setPurgeProtection(boolean enabled) {
    synchronized (lock) {
      if (enabled && !softDelete) {
        throw new IllegalStateException("purge protection requires soft delete");
      }
      purgeProtection = enabled;
    }
  }

  void setProtectedSubscription(boolean enabled) {
    synchronized (lock) {
      protectedSubscription = enabled;
    }
  }

  void setRbac(boolean enabled) {
    synchronized (lock) {
      if (!enabled && kind == Kind.MANAGED_HSM) {
        throw new IllegalStateException("a Managed HSM always uses (local) RBAC");
      }
      rbac = enabled;
    }
  }

  /** Key Vault's {@code recoveryLevel} for the current settings. */
  String recoveryLevel() {
    synchronized (lock) {
      if (!softDelete) {
        return "Purgeable";
      }
      String base = retentionDays < 90 ? "CustomizedRecoverable" : "Recoverable";
      if (purgeProtection) {
        return protectedSubscription ? base + "+ProtectedSubscription" : base;
      }
      return base + "+Purgeable";
    }
  }

  Integer recoverableDays() {
    synchronized (lock) {
      return softDelete ? retentionDays : null;
    }
  }

  // ---------------------------------------------------------------- access

  void grant(VaultIdentity identity, String keyName, Set<KeyPermission> permissions) {
    synchronized (lock) {
      String scope = keyName == null ? "*" : keyName.toLowerCase(Locale.ROOT);
      grants
          .computeIfAbsent(identity.objectId(), k -> new HashMap<>())
          .computeIfAbsent(scope, k -> EnumSet.noneOf(KeyPermission.class))
          .addAll(permissions);
    }
  }

  void revoke(VaultIdentity identity, Set<KeyPermission> permissions) {
    synchronized (lock) {
      Map<String, EnumSet<KeyPermission>> scopes = grants.get(identity.objectId());
      if (scopes != null) {
        for (EnumSet<KeyPermission> set : scopes.values()) {
          set.removeAll(permissions);
        }
      }
    }
  }

  void revokeOnKey(VaultIdentity identity, String keyName) {
    synchronized (lock) {
      Map<String, EnumSet<KeyPermission>> scopes = grants.get(identity.objectId());
      if (scopes != null) {
        scopes.remove(keyName.toLowerCase(Locale.ROOT));
      }
    }
  }

  void revokeAll(VaultIdentity identity) {
    synchronized (lock) {
      grants.remove(identity.objectId());
    }
  }

  private void authorize(VaultIdentity identity, KeyPermission permission, String keyName) {
    synchronized (lock) {
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
      if (rbac) {
        String service = kind == Kind.MANAGED_HSM ? "managedHsm" : "vaults";
        throw new KeyVaultError(
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
                + name
                + (keyName == null ? "" : "/keys/" + keyName)
                + "'\r\nAssignment: (not found)\r\nVault: "
                + name
                + ";location=loopback\r\n",
            "ForbiddenByRbac",
            null);
      }
      throw new KeyVaultError(
          403,
          "Forbidden",
          "The user, group or application '"
              + caller
              + "' does not have keys "
              + permission.azureName()
              + " permission on key vault '"
              + name
              + ";location=loopback'. For help resolving this issue, please see"
              + " https://go.microsoft.com/fwlink/?linkid=2125287",
          "AccessDenied",
          null);
    }
  }

  // ---------------------------------------------------------------- faults and records

  void failNext(int count, int status) {
    synchronized (lock) {
      failNext = count;
      failStatus = status;
    }
  }

  void throttleNext(int count, long retryAfterSeconds) {
    synchronized (lock) {
      throttleNext = count;
      throttleRetryAfterSeconds = retryAfterSeconds;
    }
  }

  void setLatency(Duration latency) {
    synchronized (lock) {
      this.latency = latency;
    }
  }

  Duration latency() {
    synchronized (lock) {
      return latency;
    }
  }

  void setRequestLimit(int requests, Duration window) {
    synchronized (lock) {
      requestLimit = requests;
      requestLimitWindowNanos = window.toNanos();
      recentRequests.clear();
    }
  }

  void clearFaults() {
    synchronized (lock) {
      failNext = 0;
      throttleNext = 0;
      latency = Duration.ZERO;
      requestLimit = 0;
      recentRequests.clear();
    }
  }

  /**
   * Applies injected faults and the service limit to an authenticated request.
   *
   * @throws KeyVaultError 429 or 5xx when a fault or the limit applies
   */
  void applyFaults() {
    synchronized (lock) {
      if (failNext > 0) {
        failNext--;
        if (failStatus == 503) {
          throw new KeyVaultError(
              503, "ServiceUnavailable", "The service is temporarily unavailable.", null, null);
        }
        throw new KeyVaultError(
            failStatus, "InternalServerError", "An unexpected error occurred.", null, null);
      }
      if (throttleNext > 0) {
        throttleNext--;
        throttledCount++;
        throw throttled(throttleRetryAfterSeconds);
      }
      if (requestLimit > 0) {
        long now = System.nanoTime();
        while (!recentRequests.isEmpty() && now - recentRequests.peekFirst() >= requestLimitWindowNanos) {
          recentRequests.pollFirst();
        }
        if (recentRequests.size() >= requestLimit) {
          long waitNanos = recentRequests.peekFirst() + requestLimitWindowNanos - now;
          long seconds = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
          throttledCount++;
          throw throttled(seconds);
        }
        recentRequests.addLast(now);
      }
    }
  }

  private static KeyVaultError throttled(long retryAfterSeconds) {
    return new KeyVaultError(
        429,
        "Throttled",
        "Request was not processed because too many requests were received. Reason: A1",
        null,
        retryAfterSeconds);
  }

  void record(RecordedRequest request) {
    synchronized (lock) {
      requestCount++;
      records.addLast(request);
      while (records.size() > MAX_RECORDS) {
        records.pollFirst();
      }
    }
  }

  List<RecordedRequest> records() {
    synchronized (lock) {
      return List.copyOf(records);
    }
  }

  long requestCount() {
    synchronized (lock) {
      return requestCount;
    }
  }

  long throttledCount() {
    synchronized (lock) {
      return throttledCount;
    }
  }

  void clearRecords() {
    synchronized (lock) {
      records.clear();
      requestCount = 0;
      throttledCount = 0;
    }
  }

  // ---------------------------------------------------------------- REST dispatch

  /**
   * Routes one authenticated request of the keys data plane.
   *
   * @param segments path segments after the leading slash (empty segments kept)
   * @param baseUrl {@code https://authority} used to build key identifiers in answers
   */
  Result dispatch(
      String method, List<String> segments, byte[] body, VaultIdentity identity, String baseUrl) {
    purgeExpiredDeletedKeys();
    String collection = segments.get(0);
    int n = segments.size();
    if ("keys".equals(collection)) {
      if (n == 1 || (n == 2 && segments.get(1).isEmpty())) {
        requireMethod(method, "GET");
        authorize(identity, KeyPermission.LIST, null);
        return new Result(200, listKeys(baseUrl));
      }
      String keyName = checkName(segments.get(1));
      if (n == 2) {
        switch (method) {
          case "GET":
            authorize(identity, KeyPermission.GET, keyName);
            return new Result(200, getKey(keyName, "", baseUrl));
          case "DELETE":
            authorize(identity, KeyPermission.DELETE, keyName);
            return new Result(200, deleteKey(keyName, baseUrl));
          default:
            throw methodNotAllowed();
        }
      }
      String third = segments.get(2);
      if (n == 3) {
        if (third.equals("create")) {
          requireMethod(method, "POST");
          authorize(identity, KeyPermission.CREATE, keyName);
          return new Result(200, createKey(keyName, Json.parseObject(body), baseUrl));
        }
        if (third.equals("rotate")) {
          requireMethod(method, "POST");
          authorize(identity, KeyPermission.ROTATE, keyName);
          return new Result(200, rotateKey(keyName, baseUrl));
        }
        if (third.equals("versions")) {
          requireMethod(method, "GET");
          authorize(identity, KeyPermission.LIST, keyName);
          return new Result(200, listVersions(keyName, baseUrl));
        }
        String version = checkVersion(third);
        switch (method) {
          case "GET":
            authorize(identity, KeyPermission.GET, keyName);
            return new Result(200, getKey(keyName, version, baseUrl));
          case "PATCH":
            authorize(identity, KeyPermission.UPDATE, keyName);
            return new Result(200, updateKey(keyName, version, Json.parseObject(body), baseUrl));
          default:
            throw methodNotAllowed();
        }
      }
      if (n == 4) {
        String version = checkVersion(third);
        String operation = segments.get(3);
        requireMethod(method, "POST");
        switch (operation) {
          case "wrapkey":
            authorize(identity, KeyPermission.WRAP_KEY, keyName);
            return new Result(200, crypt(keyName, version, "wrapKey", true, Json.parseObject(body), baseUrl));
          case "unwrapkey":
            authorize(identity, KeyPermission.UNWRAP_KEY, keyName);
            return new Result(200, crypt(keyName, version, "unwrapKey", false, Json.parseObject(body), baseUrl));
          case "encrypt":
            authorize(identity, KeyPermission.ENCRYPT, keyName);
            return new Result(200, crypt(keyName, version, "encrypt", true, Json.parseObject(body), baseUrl));
          case "decrypt":
            authorize(identity, KeyPermission.DECRYPT, keyName);
            return new Result(200, crypt(keyName, version, "decrypt", false, Json.parseObject(body), baseUrl));
          default:
            throw notFoundRoute();
        }
      }
      throw notFoundRoute();
    }
    if ("deletedkeys".equals(collection)) {
      if (n == 1 || (n == 2 && segments.get(1).isEmpty())) {
        requireMethod(method, "GET");
        authorize(identity, KeyPermission.LIST, null);
        return new Result(200, listDeletedKeys(baseUrl));
      }
      String keyName = checkName(segments.get(1));
      if (n == 2) {
        switch (method) {
          case "GET":
            authorize(identity, KeyPermission.GET, keyName);
            return new Result(200, getDeletedKey(keyName, baseUrl));
          case "DELETE":
            authorize(identity, KeyPermission.PURGE, keyName);
            purgeDeletedKey(keyName);
            return new Result(204, null);
          default:
            throw methodNotAllowed();
        }
      }
      if (n == 3 && segments.get(2).equals("recover")) {
        requireMethod(method, "POST");
        authorize(identity, KeyPermission.RECOVER, keyName);
        return new Result(200, recoverDeletedKey(keyName, baseUrl));
      }
    }
    throw notFoundRoute();
  }

  private static void requireMethod(String method, String expected) {
    if (!method.equals(expected)) {
      throw methodNotAllowed();
    }
  }

  private static KeyVaultError methodNotAllowed() {
    return new KeyVaultError(405, "MethodNotAllowed", "The requested method is not supported for this resource.");
  }

  private static KeyVaultError notFoundRoute() {
    return new KeyVaultError(404, "NotFound", "The requested resource does not exist.");
  }

  private static String checkName(String keyName) {
    if (!keyName.matches("[0-9a-zA-Z-]{1,127}")) {
      throw KeyVaultError.badParameter(
          "The request URI contains an invalid name: " + keyName + ". Follow this link for more"
              + " information: https://go.microsoft.com/fwlink/?linkid=2147742");
    }
    return keyName;
  }

  private static String checkVersion(String version) {
    if (!version.isEmpty() && !version.matches("[0-9a-fA-F]{32}")) {
      throw KeyVaultError.badParameter("Invalid key version: " + version);
    }
    return version;
  }

  // ---------------------------------------------------------------- operations

  private Object listKeys(String baseUrl) {
    synchronized (lock) {
      List<Object> items = new ArrayList<>();
      for (StoredKey key : keys.values()) {
        StoredVersion latest = key.latest();
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("kid", baseUrl + "/keys/" + key.name);
        item.put("attributes", attributes(latest));
        putTags(item, latest);
        items.add(item);
      }
      return page(items);
    }
  }

  private Object listVersions(String keyName, String baseUrl) {
    synchronized (lock) {
      StoredKey key = activeKey(keyName);
      List<Object> items = new ArrayList<>();
      for (StoredVersion v : key.versions) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("kid", kid(baseUrl, key, v));
        item.put("attributes", attributes(v));
        putTags(item, v);
        items.add(item);
      }
      return page(items);
    }
  }

  private Object listDeletedKeys(String baseUrl) {
    synchronized (lock) {
      if (!softDelete) {
        throw KeyVaultError.notEnabledForVault("listDeleted");
      }
      List<Object> items = new ArrayList<>();
      for (StoredKey key : deleted.values()) {
        StoredVersion latest = key.latest();
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("kid", baseUrl + "/keys/" + key.name);
        item.put("attributes", attributes(latest));
        putTags(item, latest);
        putDeletion(item, key, baseUrl);
        items.add(item);
      }
      return page(items);
    }
  }

  private static Map<String, Object> page(List<Object> items) {
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("value", items);
    page.put("nextLink", null);
    return page;
  }

  private Object getKey(String keyName, String version, String baseUrl) {
    synchronized (lock) {
      StoredKey key = activeKey(keyName);
      StoredVersion v = version(key, version);
      if (!v.enabled) {
        throw KeyVaultError.keyDisabled("get");
      }
      return bundle(baseUrl, key, v);
    }
  }

  private Object createKey(String keyName, Map<String, Object> request, String baseUrl) {
    String kty = Json.string(request, "kty");
    if (kty == null) {
      throw KeyVaultError.badParameter("The property 'kty' is required.");
    }
    if (!kty.equals("RSA") && !kty.equals("RSA-HSM")) {
      throw KeyVaultError.badParameter(
          "Key type " + kty + " is not supported by the loopback Key Vault (RSA and RSA-HSM only).");
    }
    if (kind == Kind.MANAGED_HSM && kty.equals("RSA")) {
      throw KeyVaultError.badParameter(
          "Key type RSA is not supported by Managed HSM; use RSA-HSM.");
    }
    Long size = Json.number(request, "key_size");
    int bits = size == null ? 2048 : size.intValue();
    if (!RSA_SIZES.contains(bits)) {
      throw KeyVaultError.badParameter("Invalid key size " + bits + "; RSA keys are 2048, 3072 or 4096 bits.");
    }
    Long exponent = Json.number(request, "public_exponent");
    if (exponent != null && exponent != 65537L) {
      throw KeyVaultError.badParameter("Only the public exponent 65537 is supported.");
    }
    List<String> ops = Json.strings(request, "key_ops");
    List<String> keyOps = ops == null ? DEFAULT_RSA_KEY_OPS : checkOps(ops);
    Map<String, Object> attributes = Json.object(request, "attributes");
    Boolean enabled = attributes == null ? null : Json.bool(attributes, "enabled");
    Long nbf = attributes == null ? null : Json.number(attributes, "nbf");
    Long exp = attributes == null ? null : Json.number(attributes, "exp");
    Map<String, String> tags = tags(request);
    synchronized (lock) {
      if (deleted.containsKey(keyName.toLowerCase(Locale.ROOT))) {
        throw conflictDeleted(keyName);
      }
    }
    KeyPair pair = generateRsa(bits);
    synchronized (lock) {
      if (deleted.containsKey(keyName.toLowerCase(Locale.ROOT))) {
        throw conflictDeleted(keyName);
      }
      StoredKey key = keys.computeIfAbsent(keyName.toLowerCase(Locale.ROOT), k -> new StoredKey(keyName));
      StoredVersion v =
          new StoredVersion(
              newVersion(), kty, pair, keyOps, enabled == null || enabled, nbf, exp, now(), tags);
      key.versions.add(v);
      return bundle(baseUrl, key, v);
    }
  }

  private static KeyVaultError conflictDeleted(String keyName) {
    return new KeyVaultError(
        409,
        "Conflict",
        "Key "
            + keyName
            + " is currently in a deleted but recoverable state, and its name cannot be reused; in"
            + " this state, the key can only be recovered or purged.");
  }

  private Object rotateKey(String keyName, String baseUrl) {
    String kty;
    int bits;
    synchronized (lock) {
      StoredVersion latest = activeKey(keyName).latest();
      kty = latest.kty;
      bits = latest.sizeBits();
    }
    KeyPair pair = generateRsa(bits);
    synchronized (lock) {
      StoredKey key = activeKey(keyName);
      StoredVersion latest = key.latest();
      StoredVersion v =
          new StoredVersion(
              newVersion(), kty, pair, latest.keyOps, true, null, null, now(), latest.tags);
      key.versions.add(v);
      return bundle(baseUrl, key, v);
    }
  }

  private Object updateKey(String keyName, String version, Map<String, Object> request, String baseUrl) {
    List<String> ops = Json.strings(request, "key_ops");
    List<String> keyOps = ops == null ? null : checkOps(ops);
    Map<String, Object> attributes = Json.object(request, "attributes");
    Map<String, String> tags = request.containsKey("tags") ? tags(request) : null;
    synchronized (lock) {
      StoredKey key = activeKey(keyName);
      StoredVersion v = version(key, version);
      if (keyOps != null) {
        v.keyOps = keyOps;
      }
      if (attributes != null) {
        Boolean enabled = Json.bool(attributes, "enabled");
        if (enabled != null) {
          v.enabled = enabled;
        }
        if (attributes.containsKey("nbf")) {
          v.notBefore = Json.number(attributes, "nbf");
        }
        if (attributes.containsKey("exp")) {
          v.expires = Json.number(attributes, "exp");
        }
      }
      if (tags != null) {
        v.tags = tags;
      }
      v.updated = now();
      return bundle(baseUrl, key, v);
    }
  }

  private Object deleteKey(String keyName, String baseUrl) {
    synchronized (lock) {
      StoredKey key = activeKey(keyName);
      keys.remove(keyName.toLowerCase(Locale.ROOT));
      Map<String, Object> answer = bundle(baseUrl, key, key.latest());
      if (softDelete) {
        key.deletedDate = now();
        key.scheduledPurgeDate = key.deletedDate + Duration.ofDays(retentionDays).toSeconds();
        deleted.put(keyName.toLowerCase(Locale.ROOT), key);
        putDeletion(answer, key, baseUrl);
      }
      return answer;
    }
  }

  private Object getDeletedKey(String keyName, String baseUrl) {
    synchronized (lock) {
      if (!softDelete) {
        throw KeyVaultError.notEnabledForVault("getDeleted");
      }
      StoredKey key = deleted.get(keyName.toLowerCase(Locale.ROOT));
      if (key == null) {
        throw KeyVaultError.deletedKeyNotFound(keyName);
      }
      Map<String, Object> answer = bundle(baseUrl, key, key.latest());
      putDeletion(answer, key, baseUrl);
      return answer;
    }
  }

  private void purgeDeletedKey(String keyName) {
    synchronized (lock) {
      if (!softDelete || purgeProtection) {
        throw KeyVaultError.notEnabledForVault("purge");
      }
      if (deleted.remove(keyName.toLowerCase(Locale.ROOT)) == null) {
        throw KeyVaultError.deletedKeyNotFound(keyName);
      }
    }
  }

  private Object recoverDeletedKey(String keyName, String baseUrl) {
    synchronized (lock) {
      if (!softDelete) {
        throw KeyVaultError.notEnabledForVault("recover");
      }
      StoredKey key = deleted.remove(keyName.toLowerCase(Locale.ROOT));
      if (key == null) {
        throw KeyVaultError.deletedKeyNotFound(keyName);
      }
      keys.put(keyName.toLowerCase(Locale.ROOT), key);
      return bundle(baseUrl, key, key.latest());
    }
  }

  private Object crypt(
      String keyName,
      String version,
      String operation,
      boolean encrypting,
      Map<String, Object> request,
      String baseUrl) {
    String alg = Json.string(request, "alg");
    String value = Json.string(request, "value");
    if (alg == null || value == null) {
      throw KeyVaultError.badParameter("The properties 'alg' and 'value' are required.");
    }
    byte[] input = Json.fromBase64Url(value, "value");
    StoredKey key;
    StoredVersion v;
    synchronized (lock) {
      key = activeKey(keyName);
      v = version(key, version);
      if (!v.enabled) {
        throw KeyVaultError.keyDisabled(operation);
      }
      if (!v.keyOps.contains(operation)) {
        throw new KeyVaultError(
            403,
            "Forbidden",
            "Operation " + operation + " is not permitted on this key.",
            "KeyOperationForbidden",
            null);
      }
      if (encrypting) {
        long now = now();
        if (v.expires != null && now >= v.expires) {
          throw new KeyVaultError(
              403, "Forbidden", "Operation " + operation + " is not allowed on an expired key.", "KeyExpired", null);
        }
        if (v.notBefore != null && now < v.notBefore) {
          throw new KeyVaultError(
              403,
              "Forbidden",
              "Operation " + operation + " is not allowed on a key that is not yet valid.",
              "KeyNotYetValid",
              null);
        }
      }
    }
    byte[] output = rsa(alg, encrypting, v.keyPair, input);
    Map<String, Object> answer = new LinkedHashMap<>();
    synchronized (lock) {
      answer.put("kid", kid(baseUrl, key, v));
    }
    answer.put("value", Json.base64Url(output));
    return answer;
  }

  static byte[] rsa(String alg, boolean encrypting, KeyPair pair, byte[] input) {
    Cipher cipher;
    try {
      switch (alg) {
        case "RSA-OAEP-256":
          cipher = Cipher.getInstance("RSA/ECB/OAEPPadding");
          cipher.init(
              encrypting ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE,
              encrypting ? pair.getPublic() : pair.getPrivate(),
              new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
          break;
        case "RSA-OAEP":
          cipher = Cipher.getInstance("RSA/ECB/OAEPPadding");
          cipher.init(
              encrypting ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE,
              encrypting ? pair.getPublic() : pair.getPrivate(),
              new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT));
          break;
        case "RSA1_5":
          cipher = Cipher.getInstance("RSA/ECB/PKCS1Padding");
          cipher.init(
              encrypting ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE,
              encrypting ? pair.getPublic() : pair.getPrivate());
          break;
        default:
          throw KeyVaultError.badParameter(
              "Algorithm " + alg + " is not supported for RSA keys.");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA cipher unavailable", e);
    }
    try {
      return cipher.doFinal(input);
    } catch (BadPaddingException | IllegalBlockSizeException e) {
      throw KeyVaultError.badParameter("The parameter is incorrect: the value cannot be processed with this key and algorithm.");
    }
  }

  // ---------------------------------------------------------------- admin (no HTTP)

  KeyPair generateRsa(int bits) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA key generation unavailable", e);
    }
  }

  /** Adds a version with the given material; returns the version id. */
  String addVersion(String keyName, String kty, KeyPair pair) {
    checkName(keyName);
    if (kind == Kind.MANAGED_HSM && !kty.equals("RSA-HSM")) {
      throw new IllegalArgumentException("a Managed HSM holds only RSA-HSM keys");
    }
    synchronized (lock) {
      if (deleted.containsKey(keyName.toLowerCase(Locale.ROOT))) {
        throw new IllegalStateException("key " + keyName + " is deleted but recoverable");
      }
      StoredKey key = keys.computeIfAbsent(keyName.toLowerCase(Locale.ROOT), k -> new StoredKey(keyName));
      List<String> ops = key.versions.isEmpty() ? DEFAULT_RSA_KEY_OPS : key.latest().keyOps;
      StoredVersion v = new StoredVersion(newVersion(), kty, pair, ops, true, null, null, now(), Map.of());
      key.versions.add(v);
      return v.version;
    }
  }

  /** Runs {@code action} on a version under the lock; throws IllegalArgumentException if absent. */
  <T> T withVersion(String keyName, String version, java.util.function.Function<StoredVersion, T> action) {
    synchronized (lock) {
      StoredKey key = keys.get(keyName.toLowerCase(Locale.ROOT));
      if (key == null) {
        key = deleted.get(keyName.toLowerCase(Locale.ROOT));
      }
      if (key == null) {
        throw new IllegalArgumentException("no key " + keyName + " in vault " + name);
      }
      StoredVersion v = version == null ? key.latest() : key.version(version);
      if (v == null) {
        throw new IllegalArgumentException("no version " + version + " of key " + keyName);
      }
      T result = action.apply(v);
      v.updated = now();
      return result;
    }
  }

  List<String> versionIds(String keyName) {
    synchronized (lock) {
      StoredKey key = keys.get(keyName.toLowerCase(Locale.ROOT));
      if (key == null) {
        throw new IllegalArgumentException("no active key " + keyName + " in vault " + name);
      }
      List<String> ids = new ArrayList<>();
      for (StoredVersion v : key.versions) {
        ids.add(v.version);
      }
      return Collections.unmodifiableList(ids);
    }
  }

  void adminDelete(String keyName) {
    synchronized (lock) {
      StoredKey key = keys.remove(keyName.toLowerCase(Locale.ROOT));
      if (key == null) {
        throw new IllegalArgumentException("no active key " + keyName + " in vault " + name);
      }
      if (softDelete) {
        key.deletedDate = now();
        key.scheduledPurgeDate = key.deletedDate + Duration.ofDays(retentionDays).toSeconds();
        deleted.put(keyName.toLowerCase(Locale.ROOT), key);
      }
    }
  }

  void adminPurge(String keyName) {
    synchronized (lock) {
      if (purgeProtection) {
        throw new IllegalStateException("purge protection is on: deleted keys cannot be purged");
      }
      if (deleted.remove(keyName.toLowerCase(Locale.ROOT)) == null) {
        throw new IllegalArgumentException("no deleted key " + keyName + " in vault " + name);
      }
    }
  }

  void adminRecover(String keyName) {
    synchronized (lock) {
      StoredKey key = deleted.remove(keyName.toLowerCase(Locale.ROOT));
      if (key == null) {
        throw new IllegalArgumentException("no deleted key " + keyName + " in vault " + name);
      }
      keys.put(keyName.toLowerCase(Locale.ROOT), key);
    }
  }

  boolean isDeleted(String keyName) {
    synchronized (lock) {
      purgeExpiredDeletedKeys();
      return deleted.containsKey(keyName.toLowerCase(Locale.ROOT));
    }
  }

  String canonicalName(String keyName) {
    synchronized (lock) {
      StoredKey key = keys.get(keyName.toLowerCase(Locale.ROOT));
      if (key == null) {
        key = deleted.get(keyName.toLowerCase(Locale.ROOT));
      }
      if (key == null) {
        throw new IllegalArgumentException("no key " + keyName + " in vault " + name);
      }
      return key.name;
    }
  }

  // ---------------------------------------------------------------- helpers

  private void purgeExpiredDeletedKeys() {
    synchronized (lock) {
      long now = now();
      deleted.values().removeIf(k -> k.scheduledPurgeDate <= now);
    }
  }

  private StoredKey activeKey(String keyName) {
    StoredKey key = keys.get(keyName.toLowerCase(Locale.ROOT));
    if (key == null) {
      throw KeyVaultError.keyNotFound(keyName);
    }
    return key;
  }

  private static StoredVersion version(StoredKey key, String version) {
    if (version.isEmpty()) {
      return key.latest();
    }
    StoredVersion v = key.version(version);
    if (v == null) {
      throw KeyVaultError.versionNotFound(key.name, version);
    }
    return v;
  }

  private static List<String> checkOps(List<String> ops) {
    for (String op : ops) {
      if (!KNOWN_KEY_OPS.contains(op)) {
        throw KeyVaultError.badParameter("Invalid key operation: " + op);
      }
    }
    return List.copyOf(ops);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> tags(Map<String, Object> request) {
    Map<String, Object> raw = Json.object(request, "tags");
    if (raw == null) {
      return Map.of();
    }
    Map<String, String> tags = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : raw.entrySet()) {
      if (!(e.getValue() instanceof String)) {
        throw KeyVaultError.badParameter("Tag values must be strings.");
      }
      tags.put(e.getKey(), (String) e.getValue());
    }
    return Collections.unmodifiableMap(tags);
  }

  private String newVersion() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private long now() {
    return clock.instant().getEpochSecond();
  }

  private static String kid(String baseUrl, StoredKey key, StoredVersion v) {
    return baseUrl + "/keys/" + key.name + "/" + v.version;
  }

  private Map<String, Object> attributes(StoredVersion v) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("enabled", v.enabled);
    if (v.notBefore != null) {
      a.put("nbf", v.notBefore);
    }
    if (v.expires != null) {
      a.put("exp", v.expires);
    }
    a.put("created", v.created);
    a.put("updated", v.updated);
    a.put("recoveryLevel", recoveryLevel());
    Integer days = recoverableDays();
    if (days != null) {
      a.put("recoverableDays", days);
    }
    a.put("exportable", false);
    return a;
  }

  private Map<String, Object> bundle(String baseUrl, StoredKey key, StoredVersion v) {
    RSAPublicKey pub = (RSAPublicKey) v.keyPair.getPublic();
    Map<String, Object> jwk = new LinkedHashMap<>();
    jwk.put("kid", kid(baseUrl, key, v));
    jwk.put("kty", v.kty);
    jwk.put("key_ops", v.keyOps);
    jwk.put("n", Json.base64Url(unsigned(pub.getModulus())));
    jwk.put("e", Json.base64Url(unsigned(pub.getPublicExponent())));
    Map<String, Object> bundle = new LinkedHashMap<>();
    bundle.put("key", jwk);
    bundle.put("attributes", attributes(v));
    putTags(bundle, v);
    return bundle;
  }

  private static void putTags(Map<String, Object> target, StoredVersion v) {
    if (!v.tags.isEmpty()) {
      target.put("tags", v.tags);
    }
  }

  private static void putDeletion(Map<String, Object> target, StoredKey key, String baseUrl) {
    target.put("recoveryId", baseUrl + "/deletedkeys/" + key.name);
    target.put("deletedDate", key.deletedDate);
    target.put("scheduledPurgeDate", key.scheduledPurgeDate);
  }

  static byte[] unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      return java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return bytes;
  }
}
