package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.UnsupportedFormatException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.util.Arrays;

/**
 * Reads the header of an envelope of either format: checks the magic, dispatches on the version
 * byte and reads exactly the header's bytes (v1: its declared length, at most 4096; v2: 48), so
 * nothing beyond that is allocated before the header is known to be well-formed.
 */
public final class Headers {
  private Headers() {}

  /**
   * The format version of an envelope prefix (at least {@link EnvelopeHeader#PREFIX_LENGTH}
   * bytes), after checking its magic.
   *
   * @throws InvalidCiphertextException if the prefix is short or not a cmk envelope
   * @throws UnsupportedFormatException if the version is neither 1 nor 2
   */
  static int version(byte[] prefix, int length) {
    if (length < EnvelopeHeader.PREFIX_LENGTH) {
      throw new InvalidCiphertextException();
    }
    for (int i = 0; i < EnvelopeHeader.MAGIC.length; i++) {
      if (prefix[i] != EnvelopeHeader.MAGIC[i]) {
        throw new InvalidCiphertextException();
      }
    }
    int version = prefix[4] & 0xff;
    if (version != EnvelopeHeader.FORMAT_VERSION && version != CompactHeader.FORMAT_VERSION) {
      throw new UnsupportedFormatException(
          "envelope format version " + version + " is not supported (this build reads 1 and 2)");
    }
    return version;
  }

  /**
   * The header at the start of a whole envelope held in memory (copied out of it).
   *
   * @throws InvalidCiphertextException if the header is malformed or longer than the envelope
   * @throws UnsupportedFormatException if it is of a format this build cannot read
   */
  public static Header of(byte[] envelope) {
    if (version(envelope, envelope.length) == CompactHeader.FORMAT_VERSION) {
      if (envelope.length < CompactHeader.LENGTH) {
        throw new InvalidCiphertextException();
      }
      return CompactHeader.parse(Arrays.copyOf(envelope, CompactHeader.LENGTH));
    }
    return EnvelopeHeader.of(envelope);
  }

  /**
   * Reads exactly the header's bytes from {@code source} and parses them.
   *
   * @throws IOException if reading fails
   * @throws InvalidCiphertextException if the header is malformed or truncated
   * @throws UnsupportedFormatException if it is of a format this build cannot read
   */
  public static Header read(InputStream source) throws IOException {
    byte[] prefix = source.readNBytes(EnvelopeHeader.PREFIX_LENGTH);
    int length = version(prefix, prefix.length) == CompactHeader.FORMAT_VERSION
        ? CompactHeader.LENGTH
        : EnvelopeHeader.declaredLength(prefix, prefix.length);
    byte[] header = Arrays.copyOf(prefix, length);
    int n = source.readNBytes(header, prefix.length, length - prefix.length);
    if (n != length - prefix.length) {
      throw new InvalidCiphertextException(new EOFException("envelope header is truncated"));
    }
    return length == CompactHeader.LENGTH && header[4] == CompactHeader.FORMAT_VERSION
        ? CompactHeader.parse(header)
        : EnvelopeHeader.parse(header);
  }

  /**
   * Reads the header at the start of {@code channel}; the channel is left positioned after it.
   * Callers that share the channel between threads hold its lock.
   *
   * @throws IOException if reading fails
   * @throws InvalidCiphertextException if the header is malformed or truncated
   */
  public static Header read(SeekableByteChannel channel) throws IOException {
    channel.position(0);
    return read(Channels.newInputStream(channel));
  }
}
