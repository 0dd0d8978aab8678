/**
 * cmk fleet state on Azure Blob Storage: {@link dev.cmk.state.azureblob.BlobFleetStateStore}, the
 * {@code FleetStateStore} of cmk-core kept in a storage account's blob container.
 */
module dev.cmk.state.azureblob {
  requires static org.jspecify;
  requires transitive dev.cmk.core;
  requires transitive com.azure.storage.blob;
  requires com.azure.core;
  requires com.azure.json;

  exports dev.cmk.state.azureblob;
}
