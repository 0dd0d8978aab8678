/**
 * Test support for code built on cmk: in-memory key provider, fault injection, manual clock,
 * failing and generated streams and the provider contract tests. The loopback Key Vault server is
 * its own module, {@code dev.cmk.testkit.keyvault} (artifact cmk-testkit-keyvault).
 */
module dev.cmk.testkit {
  requires static org.jspecify;
  requires transitive dev.cmk.api;
  requires static org.junit.jupiter.api;

  exports dev.cmk.testkit;
}
