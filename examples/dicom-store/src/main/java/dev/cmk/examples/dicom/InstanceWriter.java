package dev.cmk.examples.dicom;

import dev.cmk.core.EnvelopeCrypto;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores uploads: encrypts the body as it streams in ({@link EnvelopeCrypto#encryptingStream})
 * into a temporary file while {@link DicomParser} reads the same bytes, then seals, forces, writes
 * the metadata envelope (attributes and frame table, encrypted under the same key and bound to the
 * instance's UIDs and to this upload) and publishes both ({@link InstanceStore#publish}).
 *
 * <p>STOW-RS ({@link #stow}): the UIDs that name the file and bind its envelope are in the dataset,
 * so the bytes before the pixel data (at most {@value #MAX_HEAD} bytes) are held in memory until
 * the parser has read them; from then on the body streams. Raw uploads ({@link #write}) know
 * their UIDs from the URL and stream from the first byte; one that does not parse is still stored
 * (as before), only without metadata.
 *
 * <p>A full file system (ENOSPC) is reported as {@link StoreRejection.Reason#INSUFFICIENT_STORAGE};
 * whatever fails, nothing is left behind.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (state is per call).
 */
final class InstanceWriter {
  private static final Logger LOG = LoggerFactory.getLogger(InstanceWriter.class);
  /** Largest part of a STOW-RS instance held in memory: the attributes before the pixel data. */
  static final int MAX_HEAD = 4 << 20;
  private static final int BUFFER_SIZE = 64 * 1024;

  /** Opens the temporary file an upload is written to (tests: a device that reports ENOSPC). */
  @FunctionalInterface
  interface TempFiles {
    /**
     * Opens {@code temp} for writing.
     *
     * @param temp an empty file just created in the upload directory
     * @return the channel
     * @throws IOException if it cannot be opened
     */
    FileChannel open(Path temp) throws IOException;
  }

  private final InstanceStore store;
  private final EnvelopeCrypto crypto;
  private final TempFiles tempFiles;

  InstanceWriter(InstanceStore store, TempFiles tempFiles) {
    this.store = Objects.requireNonNull(store, "store");
    this.crypto = store.crypto();
    this.tempFiles = Objects.requireNonNull(tempFiles, "tempFiles");
  }

  /**
   * The result of a stored upload.
   *
   * @param key the instance
   * @param created whether the instance is new (otherwise it replaced one)
   * @param length plaintext bytes stored
   * @param metadata what was parsed, or null for a raw upload that did not parse
   */
  record Result(InstanceKey key, boolean created, long length, ParsedInstance metadata) {}

  /**
   * Stores a raw upload under the UIDs of its URL.
   *
   * @param key the instance
   * @param body a DICOM Part 10 stream; read to its end, not closed
   * @param mode whether an existing instance may be replaced
   * @return what was stored
   * @throws StoreRejection if not DICOM, too large, existing ({@code CREATE_ONLY}) or the disk is
   *     full; nothing was stored
   * @throws IOException if reading the body or writing fails; nothing was stored
   */
  Result write(InstanceKey key, InputStream body, InstanceStore.WriteMode mode)
      throws IOException, StoreRejection {
    Objects.requireNonNull(body, "body");
    if (mode == InstanceStore.WriteMode.CREATE_ONLY && store.exists(key)) {
      throw InstanceStore.alreadyExistsRejection();
    }
    return store(new Upload(key, body), mode, true);
  }

  /**
   * Stores one STOW-RS instance under the UIDs in its dataset; replaces an existing one.
   *
   * @param body the part's body; read to its end
   * @param study the Study Instance UID the instance must have, or null
   * @return what was stored
   * @throws StoreRejection if it does not parse ({@code INVALID_DICOM}), is too large, or the
   *     disk is full; nothing was stored
   * @throws IOException if reading or writing fails; nothing was stored
   */
  Result stow(InputStream body, String study) throws IOException, StoreRejection {
    Upload upload = new Upload(null, body);
    upload.study = study;
    return store(upload, InstanceStore.WriteMode.CREATE_OR_REPLACE, false);
  }

  private Result store(Upload upload, InstanceStore.WriteMode mode, boolean lenient)
      throws IOException, StoreRejection {
    try {
      InputStream source = upload;
      if (upload.key != null) {
        // Raw: the key is known, so the envelope is opened before a byte of the body is read (a
        // key that is not accessible is refused before "100 Continue"), then the prefix checked.
        upload.beginIfNeeded();
        byte[] head = upload.readNBytes(DicomParser.PREFIX_LENGTH);
        if (!DicomParser.hasPart10Prefix(head)) {
          throw new StoreRejection(StoreRejection.Reason.NOT_DICOM, "the body is not a DICOM"
              + " Part 10 file (no DICM prefix after the 128-byte preamble)");
        }
        source = new SequenceInputStream(new ByteArrayInputStream(head), upload);
      }
      ParsedInstance parsed;
      try {
        parsed = DicomParser.parse(source, upload::begin);
      } catch (DicomParseException e) {
        if (upload.mismatch) {
          throw new StoreRejection(StoreRejection.Reason.STUDY_MISMATCH,
              "the instance belongs to another study than the request's");
        }
        if (!lenient) {
          throw new StoreRejection(StoreRejection.Reason.INVALID_DICOM,
              "the instance could not be read: " + e.getMessage());
        }
        parsed = null;
        upload.beginIfNeeded();
      }
      upload.drain();
      if (parsed != null && !parsed.key().equals(upload.key)) {
        parsed = null; // a raw upload whose dataset names other UIDs: stored, not indexed
      }
      Path meta = null;
      upload.seal();
      if (parsed != null) {
        byte[] binding;
        try (FileChannel sealed = FileChannel.open(upload.temp, StandardOpenOption.READ)) {
          binding = InstanceStore.binding(sealed);
        }
        byte[] plain = parsed.encode(binding);
        try {
          byte[] envelope = crypto.encrypt(plain, InstanceMetadata.associatedData(upload.key));
          meta = Files.createTempFile(store.incoming(), "meta-", ".part");
          upload.metaTemp = meta;
          try (FileChannel m = tempFiles.open(meta)) {
            new ChannelSink(m).write(envelope);
            m.force(true);
          }
        } finally {
          Arrays.fill(plain, (byte) 0);
        }
      }
      boolean created = store.publish(upload.key, upload.temp, meta, mode);
      return new Result(upload.key, created, upload.count, parsed);
    } catch (TooLarge e) {
      throw new StoreRejection(StoreRejection.Reason.TOO_LARGE,
          "the instance is larger than the maximum of " + store.maxInstanceSize() + " bytes");
    } catch (IOException e) {
      if (e.getCause() instanceof DicomParseException p && !lenient) {
        throw new StoreRejection(StoreRejection.Reason.INVALID_DICOM,
            "the instance could not be read: " + p.getMessage());
      }
      if (DiskFull.is(e, store.root())) {
        throw new StoreRejection(StoreRejection.Reason.INSUFFICIENT_STORAGE,
            "the store's file system has no space left; nothing was stored");
      }
      throw e;
    } finally {
      upload.cleanUp();
    }
  }

  /**
   * The body as the parser reads it: every byte read is counted (size limit) and written to the
   * memory buffer (before the UIDs are known) or to the encrypting stream.
   */
  private final class Upload extends FilterInputStream {
    InstanceKey key;
    String study;
    boolean mismatch;
    Path temp;
    Path metaTemp;
    FileChannel file;
    private ChannelSink sink;
    private OutputStream envelope;
    private WipingBuffer memory = new WipingBuffer();
    private boolean sealed;
    long count;

    Upload(InstanceKey key, InputStream body) throws IOException {
      super(body);
      this.key = key;
    }

    /** Opens the envelope, under the key's UIDs; writes what is held in memory. */
    void begin(String ts, List<DicomElement> dataset) throws IOException, DicomParseException {
      if (envelope != null) {
        return;
      }
      if (key == null) {
        ParsedInstance head = new ParsedInstance(ts, dataset, false, List.of(), 0);
        try {
          key = head.key();
        } catch (IllegalArgumentException e) {
          throw new DicomParseException("missing or invalid Study, Series or SOP Instance UID");
        }
        if (study != null && !study.equals(key.studyUid())) {
          mismatch = true;
          throw new DicomParseException("study mismatch");
        }
      }
      temp = Files.createTempFile(store.incoming(), "upload-", ".part");
      file = tempFiles.open(temp);
      sink = new ChannelSink(file);
      envelope = crypto.encryptingStream(sink, key.associatedData());
      memory.writeTo(envelope);
      memory.wipe();
      memory = null;
    }

    void beginIfNeeded() throws IOException {
      try {
        begin(null, List.of());
      } catch (DicomParseException e) {
        throw new IllegalStateException("raw uploads know their key", e);
      }
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        accept(1).write(b);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        accept(n).write(b, off, n);
      }
      return n;
    }

    /**
     * Counts {@code n} more bytes read and says where they go: the encrypting stream, or memory
     * while the UIDs are not known yet.
     *
     * @throws TooLarge past the maximum instance size
     * @throws IOException (caused by a {@link DicomParseException}) past {@value #MAX_HEAD} bytes
     *     held in memory
     */
    private OutputStream accept(int n) throws IOException {
      count += n;
      if (count > store.maxInstanceSize()) {
        throw new TooLarge();
      }
      if (envelope != null) {
        return envelope;
      }
      if (memory.size() + n > MAX_HEAD) {
        throw new IOException(new DicomParseException("attributes before the pixel data"
            + " larger than " + MAX_HEAD + " bytes"));
      }
      return memory;
    }

    /** Skipped bytes are read, counted and encrypted like any others (0 at the end, as specified). */
    @Override
    public long skip(long n) throws IOException {
      if (n <= 0) {
        return 0;
      }
      byte[] buffer = new byte[(int) Math.min(n, BUFFER_SIZE)];
      try {
        return Math.max(0, read(buffer, 0, buffer.length));
      } finally {
        Arrays.fill(buffer, (byte) 0); // plaintext of the instance
      }
    }

    void drain() throws IOException {
      byte[] buffer = new byte[BUFFER_SIZE];
      try {
        while (read(buffer) >= 0) {
          // counted and encrypted by read
        }
      } finally {
        Arrays.fill(buffer, (byte) 0);
      }
    }

    void seal() throws IOException {
      envelope.close();
      sealed = true;
      file.force(true);
    }

    void cleanUp() throws IOException {
      if (memory != null) {
        memory.wipe();
      }
      if (envelope != null && !sealed) {
        sink.abandon();
        try {
          envelope.close(); // wipes its buffers; output discarded
        } catch (IOException | RuntimeException e) {
          LOG.atDebug().setMessage("dicom.abandoned-stream-close-failed").setCause(e).log();
        }
      }
      if (file != null) {
        file.close();
      }
      if (temp != null) {
        Files.deleteIfExists(temp);
      }
      if (metaTemp != null) {
        Files.deleteIfExists(metaTemp);
      }
    }
  }

  /** Plaintext held before the UIDs are known; overwritten with zeros when done. */
  private static final class WipingBuffer extends ByteArrayOutputStream {
    void wipe() {
      Arrays.fill(buf, (byte) 0);
      reset();
    }
  }

  /** The body exceeded the maximum size (turned into a {@link StoreRejection}). */
  static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge() {
      super("the instance is larger than the maximum", null);
    }
  }
}
