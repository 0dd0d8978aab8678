package dev.cmk.testkit.keyvault;

import java.security.SecureRandom;
import java.time.Clock;
import org.jspecify.annotations.Nullable;

/**
 * One loopback vault: its name, kind and host, the lock that guards all of its state, and the
 * parts that hold that state.
 *
 * <ul>
 *   <li>{@link #keys}: the key store, soft-delete settings and admin calls ({@link VaultKeys});
 *   <li>{@link #access}: grants and 403 answers, access policies or RBAC ({@link
 *       VaultAccessControl});
 *   <li>{@link #faults}: injected faults, the request limit and the request log ({@link
 *       VaultFaults});
 *   <li>{@link #routes}: REST routing to the operations ({@link VaultRoutes}, {@link
 *       KeyOperations}, {@link KeyCrypto}, {@link KeySubResources}), whose answers {@link
 *       KeyBundles} and {@link Paging} shape as JSON.
 * </ul>
 */
final class VaultState {

  /** What kind of service the vault imitates. */
  enum Kind {
    KEY_VAULT,
    MANAGED_HSM
  }

  /** A REST answer: status and JSON body ({@code null} for no content). */
  record Result(int status, @Nullable Object body) {}

  final String name;
  final Kind kind;
  final String host;
  final Object lock = new Object();
  final VaultKeys keys;
  final VaultAccessControl access;
  final VaultFaults faults;
  final VaultRoutes routes;

  VaultState(
      String name, Kind kind, String host, LoopbackKeyVault server, Clock clock, SecureRandom random) {
    // server: its tenant (access answers) and its backup seal; not yet serving when called.
    this.name = name;
    this.kind = kind;
    this.host = host;
    this.keys = new VaultKeys(this, clock, random);
    this.access = new VaultAccessControl(this, server);
    this.faults = new VaultFaults(lock);
    KeyBundles bundles = new KeyBundles(keys);
    this.routes =
        new VaultRoutes(
            keys,
            access,
            new KeyOperations(this, keys, bundles),
            new KeyCrypto(this, keys),
            new KeySubResources(this, keys, bundles, server.backupSeal()));
  }
}
