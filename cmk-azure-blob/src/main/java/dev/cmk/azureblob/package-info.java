/**
 * Envelopes as Azure block blobs: {@link dev.cmk.azureblob.EnvelopeBlobClient} (streamed
 * encrypting upload committed only once sealed, decrypting download, authenticated byte ranges over
 * HTTP range GETs). The envelope format is cmk's own ({@code docs/envelope-format.md}); blob
 * metadata only describes it and is never trusted.
 */
@NullMarked
package dev.cmk.azureblob;

import org.jspecify.annotations.NullMarked;
