/**
 * Example application: a DICOMweb store (STOW-RS, WADO-RS, QIDO-RS) for DICOM instances, each
 * stored on disk as a streamed cmk envelope under a customer-managed key. {@link dev.cmk.examples.dicom.DicomStoreServer} embeds
 * the store (Jetty 12); {@link dev.cmk.examples.dicom.DicomStoreMain} runs it from the command line
 * with any key provider found on the module or class path.
 */
module dev.cmk.examples.dicom {
  requires transitive dev.cmk.core;
  // DemoClock (the --demo-clock option), a type of the server builder's API.
  requires transitive dev.cmk.examples.support;
  requires dev.cmk.keystore;
  requires dev.cmk.state.azureblob;
  requires com.azure.storage.common;
  requires org.eclipse.jetty.server;
  requires org.slf4j;
  // sun.misc.Signal: SIGTERM and SIGINT are a normal stop (exit status 0).
  requires jdk.unsupported;

  exports dev.cmk.examples.dicom;
}
