/**
 * Shared loss-of-access state ({@link dev.cmk.core.fleet.FleetStateStore}) in Azure Blob Storage:
 * {@link dev.cmk.state.azureblob.BlobFleetStateStore}, one small blob per key, changed only by
 * ETag-conditional writes.
 *
 * <p>Non-null by default: parameters, return values and fields are never null unless marked
 * {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cmk.state.azureblob;

import org.jspecify.annotations.NullMarked;
