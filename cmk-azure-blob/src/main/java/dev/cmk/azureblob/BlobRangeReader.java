package dev.cmk.azureblob;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.RangeReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Authenticated random access to one envelope stored as a blob ({@link
 * EnvelopeBlobClient#openRangeReader}). The blob's version is pinned when the reader is opened
 * (every later GET is conditional on its ETag; a replaced blob fails reads with an {@link
 * java.io.UncheckedIOException}). A range fetches, with HTTP range GETs, only the ciphertext of
 * the segments that cover it: a 64 KiB range of a 1 GiB blob with 64 KiB segments transfers at
 * most two segments (about 128 KiB) in one GET. The header was read once, at open.
 *
 * <p><b>Security guarantees:</b> those of {@link RangeReader}: every byte returned comes from a
 * segment whose tag verified at its position under the envelope's header, and before each segment
 * the loss-of-access guard is asked. Each request re-verifies the header commitment and the last
 * segment from the bytes read at open (no extra GET; a few microseconds).
 *
 * <p><b>Thread safety:</b> safe for concurrent use; concurrent requests fetch in parallel.
 */
public final class BlobRangeReader implements RangeReader {
  private final EnvelopeCrypto crypto;
  private final BlobSnapshot blob;
  private final byte[] associatedData;
  private final int maxFetch;
  private final EnvelopeInfo info;
  private final long plaintextLength;
  private volatile boolean closed;

  BlobRangeReader(EnvelopeCrypto crypto, BlobSnapshot blob, byte[] associatedData, int maxFetch) {
    this.crypto = crypto;
    this.blob = blob;
    this.associatedData = associatedData;
    this.maxFetch = maxFetch;
    // Verifies the header, unwraps (through the data-key cache) and authenticates the last segment.
    try (RangeReader whole = crypto.rangeReader(channel(blob.size()), associatedData)) {
      this.info = whole.info();
      this.plaintextLength = whole.plaintextLength();
    }
  }

  @Override
  public EnvelopeInfo info() {
    return info;
  }

  @Override
  public byte[] read(long offset, int length) {
    try (RangeReader r = covering(offset, length)) {
      return r.read(offset, length);
    }
  }

  @Override
  public InputStream stream(long offset, long length) {
    RangeReader r = covering(offset, length);
    return new FilterInputStream(r.stream(offset, length)) {
      @Override
      public void close() throws IOException {
        try {
          super.close();
        } finally {
          r.close();
        }
      }
    };
  }

  /** {@return range GETs this reader made so far, the one at open included} */
  public long requests() {
    return blob.requests();
  }

  /** {@return ciphertext bytes this reader fetched so far, the header at open included} */
  public long bytesFetched() {
    return blob.bytesFetched();
  }

  /** Marks the reader closed; later reads throw {@link IllegalStateException}. */
  @Override
  public void close() {
    closed = true;
  }

  /**
   * Checks the range and opens a reader over the blob up to the end of the last segment the range
   * touches, so that its fetches stop there.
   */
  private RangeReader covering(long offset, long length) {
    checkRange(offset, length);
    return crypto.rangeReader(channel(windowEnd(offset, length)), associatedData);
  }

  private BlobWindowChannel channel(long windowEnd) {
    return new BlobWindowChannel(blob, windowEnd, maxFetch);
  }

  /** End of the ciphertext of the last segment the range touches. */
  private long windowEnd(long offset, long length) {
    if (length == 0) {
      return 0;
    }
    long lastSegment = (offset + length - 1) / blob.segmentSize();
    return blob.headerLength() + (lastSegment + 1) * blob.sealedSegmentLength();
  }

  private void checkRange(long offset, long length) {
    if (closed) {
      throw new IllegalStateException("range reader closed");
    }
    if (offset < 0 || length < 0 || offset > plaintextLength || length > plaintextLength - offset) {
      throw new IndexOutOfBoundsException(
          "range [" + offset + ", +" + length + ") is outside plaintext of " + plaintextLength);
    }
  }

  @Override
  public String toString() {
    return "BlobRangeReader[" + blob.name() + ", " + plaintextLength + " bytes]";
  }
}
