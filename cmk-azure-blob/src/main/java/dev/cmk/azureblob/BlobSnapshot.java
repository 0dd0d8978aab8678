package dev.cmk.azureblob;

import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.models.BlobDownloadResponse;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.core.EnvelopeInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One version of one blob, pinned by its ETag: its size, its first bytes (the header, read once,
 * with one GET) and, once read, its last segment; every further read is a range GET conditional
 * on the ETag. Counts the requests and bytes it fetched. Thread-safe.
 */
final class BlobSnapshot {
  /** The largest envelope header; the first GET reads this much. */
  static final int HEAD = 4096;
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes \\d+-\\d+/(\\d+)");

  private final BlobClient blob;
  private final String name;
  private final String eTag;
  private final long size;
  private final byte[] head;
  private final int headerLength;
  private final int segmentSize;
  private final long lastSegmentStart;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private volatile byte @Nullable [] tail;

  private BlobSnapshot(BlobClient blob, String name, String eTag, long size, byte[] head) {
    this.blob = blob;
    this.name = name;
    this.eTag = eTag;
    this.size = size;
    this.head = head;
    EnvelopeInfo info;
    try {
      info = EnvelopeInfo.read(new ByteArrayInputStream(head));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.headerLength = info.headerLength();
    this.segmentSize = info.segmentSize();
    long plaintext = EnvelopeInfo.plaintextLength(size, headerLength, segmentSize);
    long segments = plaintext == 0 ? 1 : (plaintext + segmentSize - 1) / segmentSize;
    this.lastSegmentStart = headerLength + (segments - 1) * sealedSegmentLength();
  }

  /**
   * Reads the first {@value #HEAD} bytes (all of a smaller blob), the size and the ETag.
   *
   * @throws UncheckedIOException if the blob cannot be read
   * @throws InvalidCiphertextException if it is empty or its header is malformed
   */
  static BlobSnapshot open(BlobClient blob, String name) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(HEAD);
    BlobDownloadResponse response;
    try {
      response = blob.downloadStreamWithResponse(out, new BlobRange(0, (long) HEAD), null, null,
          false, null, Context.NONE);
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 416) {
        throw new InvalidCiphertextException(); // an empty blob is no envelope
      }
      throw new UncheckedIOException(StorageErrors.io(name, e));
    }
    String range = response.getDeserializedHeaders().getContentRange();
    long size;
    if (range != null) {
      Matcher m = CONTENT_RANGE.matcher(range);
      if (!m.matches()) {
        throw new UncheckedIOException(new IOException("unexpected Content-Range: " + range));
      }
      size = Long.parseLong(m.group(1));
    } else {
      size = out.size(); // the whole blob was returned
    }
    BlobSnapshot s = new BlobSnapshot(blob, name, response.getDeserializedHeaders().getETag(),
        size, out.toByteArray());
    s.requests.incrementAndGet();
    s.bytes.addAndGet(out.size());
    return s;
  }

  long size() {
    return size;
  }

  int headerLength() {
    return headerLength;
  }

  int segmentSize() {
    return segmentSize;
  }

  long sealedSegmentLength() {
    return segmentSize + 16L;
  }

  byte[] head() {
    return head;
  }

  long lastSegmentStart() {
    return lastSegmentStart;
  }

  byte @Nullable [] tail() {
    return tail;
  }

  long requests() {
    return requests.get();
  }

  long bytesFetched() {
    return bytes.get();
  }

  String name() {
    return name;
  }

  /** One range GET of {@code [position, position + length)}, conditional on the ETag. */
  byte[] fetch(long position, int length) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(length);
    try {
      blob.downloadStreamWithResponse(out, new BlobRange(position, (long) length), null,
          new BlobRequestConditions().setIfMatch(eTag), false, null, Context.NONE);
    } catch (BlobStorageException e) {
      throw StorageErrors.io(name, e);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    requests.incrementAndGet();
    bytes.addAndGet(out.size());
    byte[] got = out.toByteArray();
    if (position == lastSegmentStart && position + got.length == size) {
      tail = got; // the last segment: read at every reader's open, kept
    }
    return got;
  }
}
