/**
 * Shared loss-of-access state ({@link dev.cmk.core.fleet.FleetStateStore}) in Azure Blob Storage:
 * {@link dev.cmk.state.azureblob.BlobFleetStateStore}, one small blob per key, changed only by
 * ETag-conditional writes.
 */
package dev.cmk.state.azureblob;
