/**
 * Azurite, the Azure Storage emulator, as a child process for tests: {@link
 * dev.cmk.testkit.azurite.Azurite}. Test support only; never a production dependency.
 */
module dev.cmk.testkit.azurite {
  requires static org.jspecify;
  requires transitive com.azure.storage.blob;
  requires com.azure.core;
  requires com.azure.storage.common;
  requires org.junit.jupiter.api;

  exports dev.cmk.testkit.azurite;
}
