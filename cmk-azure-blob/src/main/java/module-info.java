/**
 * cmk envelopes in Azure Blob Storage: {@link dev.cmk.azureblob.EnvelopeBlobClient} uploads while
 * encrypting, downloads while decrypting and serves authenticated byte ranges of block blobs, all
 * through cmk-core's {@code EnvelopeCrypto}.
 */
module dev.cmk.azureblob {
  requires static org.jspecify;
  requires transitive dev.cmk.core;
  requires transitive com.azure.storage.blob;
  requires com.azure.core;
  requires com.azure.storage.common;

  exports dev.cmk.azureblob;
}
