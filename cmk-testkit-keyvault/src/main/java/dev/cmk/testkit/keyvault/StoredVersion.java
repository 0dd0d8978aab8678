package dev.cmk.testkit.keyvault;

import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** One version of a key. Fields other than the key pair are guarded by the vault's lock. */
final class StoredVersion {
  final String version;
  final String kty;
  final KeyPair keyPair;
  List<String> keyOps;
  boolean enabled;
  @Nullable Long notBefore;
  @Nullable Long expires;
  final long created;
  long updated;
  Map<String, String> tags;

  StoredVersion(
      String version,
      String kty,
      KeyPair keyPair,
      List<String> keyOps,
      boolean enabled,
      @Nullable Long notBefore,
      @Nullable Long expires,
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
