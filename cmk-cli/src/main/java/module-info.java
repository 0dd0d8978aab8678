/**
 * The {@code cmk} command-line tool: encrypt, decrypt, inspect and re-wrap envelopes, check keys
 * against the FHIR and DICOM key policies, show the key-access status, and manage local keystore
 * keys. An application, not a library: it exports nothing. Shipped as a shaded jar that runs on the
 * class path ({@code cmk-cli/target/cmk.jar}, launcher {@code cmk-cli/cmk}).
 */
module dev.cmk.cli {
  requires static org.jspecify;
  requires dev.cmk.core;
  requires dev.cmk.keystore;
  requires dev.cmk.softhsm;
  requires dev.cmk.azure;
  requires dev.cmk.state.jdbc;
  requires dev.cmk.state.azureblob;
  requires com.azure.identity;
  requires java.sql;
  requires info.picocli;
  requires com.azure.json;
  requires java.logging;

  // picocli reads the command classes' annotations and sets their fields reflectively.
  opens dev.cmk.cli to info.picocli;
}
