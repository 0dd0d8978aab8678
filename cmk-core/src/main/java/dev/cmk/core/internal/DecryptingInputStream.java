package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Reads an envelope body segment by segment, releasing a segment's plaintext only after its tag
 * verified. One byte of look-ahead tells the last segment from the others, so truncation at a
 * segment boundary, dropped or reordered segments and appended bytes all fail authentication.
 *
 * <p>An authentication failure is thrown as {@link InvalidCiphertextException} (unchecked) from
 * {@code read}; end of stream is only reported after the last segment verified. After such a
 * failure every further read throws it again. Not thread-safe.
 *
 * <p>Before each segment the loss-of-access guard is asked ({@link KeyAccess#checkReadable(KeyVersionId)}), so
 * a stream opened before the customer revoked the key stops within the probe interval, like new
 * reads do; that refusal consumes nothing, so the same stream continues once access is back. An
 * {@link IOException} from the source keeps the bytes already read, so a source that can resume
 * (or a retrying caller) continues where it was instead of seeing a misaligned segment.
 */
public final class DecryptingInputStream extends PlaintextInputStream {
  private final InputStream source;
  private final MessageCrypto crypto;
  private final int segmentSize;
  private final byte[] sealed; // S + 16 + 1 look-ahead
  private final byte[] plain;
  private final KeyAccess access;
  private final KeyVersionId version;
  private int filled; // bytes of the next segment (and look-ahead) already in sealed
  private int pos;
  private int limit;
  private long index;
  private boolean done;
  private @Nullable RuntimeException failure;

  public DecryptingInputStream(
      InputStream source, Header header, MessageCrypto crypto, KeyAccess access) {
    this.source = Objects.requireNonNull(source, "source");
    this.crypto = crypto;
    this.access = Objects.requireNonNull(access, "access");
    this.segmentSize = header.segmentSize();
    this.version = crypto.version();
    this.sealed = new byte[segmentSize + MessageCrypto.TAG_LENGTH + 1];
    this.plain = new byte[segmentSize];
  }

  @Override
  int readOpen(byte[] b, int off, int len) throws IOException {
    if (failure != null) {
      throw failure;
    }
    if (len == 0) {
      return 0;
    }
    while (pos == limit) {
      if (done) {
        return -1;
      }
      if (len >= segmentSize) {
        // A whole segment fits: decrypt it straight into the caller's array, saving a copy.
        int n = nextSegment(b, off);
        if (n > 0) {
          return n;
        }
        continue; // the empty last segment of an empty plaintext
      }
      limit = nextSegment(plain, 0);
      pos = 0;
    }
    int n = Math.min(len, limit - pos);
    System.arraycopy(plain, pos, b, off, n);
    pos += n;
    return n;
  }

  /**
   * Reads, verifies and decrypts the next segment into {@code dst[dstOff..]} (room for a whole
   * segment); on failure that range holds zeros.
   */
  private int nextSegment(byte[] dst, int dstOff) throws IOException {
    access.checkReadable(version);
    int want = sealed.length;
    while (filled < want) {
      int r = source.read(sealed, filled, want - filled);
      if (r < 0) {
        break;
      }
      filled += r;
    }
    boolean last = filled < want;
    int segmentLength = last ? filled : want - 1;
    int n;
    try {
      if (segmentLength < MessageCrypto.TAG_LENGTH
          || (last && index > 0 && segmentLength == MessageCrypto.TAG_LENGTH)) {
        throw new InvalidCiphertextException();
      }
      n = crypto.decryptSegment(index, last, sealed, 0, segmentLength, dst, dstOff);
    } catch (InvalidCiphertextException e) {
      failure = e;
      pos = 0;
      limit = 0;
      Arrays.fill(plain, (byte) 0);
      throw e;
    }
    index++;
    if (last) {
      done = true;
      filled = 0;
    } else {
      sealed[0] = sealed[want - 1];
      filled = 1;
    }
    return n;
  }

  @Override
  public int available() {
    return limit - pos;
  }

  @Override
  public void close() throws IOException {
    if (markClosed()) {
      Arrays.fill(plain, (byte) 0);
      source.close();
    }
  }
}
