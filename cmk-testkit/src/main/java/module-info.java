/**
 * Test support for code built on cmk: in-memory key provider with fault injection, manual clock,
 * the provider contract tests, and a loopback Key Vault server.
 */
module dev.cmk.testkit {
  requires transitive dev.cmk.api;
  requires static org.junit.jupiter.api;

  exports dev.cmk.testkit;
}
