/**
 * Test support for code built on cmk: in-memory key provider with fault injection, manual clock,
 * the provider contract tests, and a loopback Key Vault server.
 */
module dev.cmk.testkit {
  requires transitive dev.cmk.api;
  requires static org.junit.jupiter.api;
  requires jdk.httpserver;
  requires com.azure.json;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;

  exports dev.cmk.testkit;
  exports dev.cmk.testkit.keyvault;
}
