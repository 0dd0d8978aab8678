/**
 * A loopback Azure Key Vault / Managed HSM keys data plane for tests: {@link
 * dev.cmk.testkit.keyvault.LoopbackKeyVault}. Test support only; never a production dependency.
 */
module dev.cmk.testkit.keyvault {
  requires static org.jspecify;
  requires transitive dev.cmk.api;
  requires jdk.httpserver;
  requires com.azure.json;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;

  exports dev.cmk.testkit.keyvault;
}
