package dev.cmk.examples.dicom;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;

/**
 * WADO-RS: retrieve a study, series or instance ({@code multipart/related; type="application/dicom"}),
 * their metadata ({@code application/dicom+json}) and an instance's frames ({@code
 * multipart/related; type="application/octet-stream"} for native pixel data, the transfer
 * syntax's image type for encapsulated data), each frame decrypted from only the envelope
 * segments that hold it ({@link StoredInstance#range}, at the offsets recorded at store time).
 *
 * <p>Instances are served in their stored transfer syntax (no transcoding); the part {@code
 * Content-Type} names it. The first 64 KiB of a response are buffered before the status is sent,
 * so a key failure or tampered storage found there is a proper 500; found later, the connection
 * is aborted (see {@link Failures}).
 *
 * <p><b>Thread safety:</b> stateless apart from thread-safe collaborators.
 */
final class WadoEndpoints {
  private static final int BUFFER = 64 * 1024;
  private static final int MAX_FRAMES_PER_REQUEST = 10_000;
  private final InstanceStore store;
  private final InstanceMetadata metadata;

  WadoEndpoints(InstanceStore store) {
    this.store = store;
    this.metadata = new InstanceMetadata(store);
  }

  /** Whether an instance GET asks for DICOMweb (multipart) rather than the raw blob. */
  static boolean wantsMultipart(Exchange x) {
    return x.accept().stream().anyMatch(m -> m.type().equals("multipart/related"));
  }

  private static boolean accepts(Exchange x, String type, String partType) {
    List<MediaType> accept = x.accept();
    if (accept.isEmpty()) {
      return true;
    }
    for (MediaType m : accept) {
      if (m.type().equals("*/*") || (m.type().equals(type) && (m.parameter("type").isEmpty()
          || m.parameter("type").equals(partType) || m.parameter("type").equals("*/*")))) {
        return true;
      }
      if (partType == null && (m.type().equals("application/json")
          || m.type().equals("application/*"))) {
        return true;
      }
    }
    return false;
  }

  /** Retrieve: every stored instance under the study (and series, and SOP). */
  void retrieve(Exchange x, String study, String series, String sop) throws IOException {
    if (!accepts(x, "multipart/related", BlobEndpoints.DICOM)) {
      x.sendError(406, "not-acceptable",
          "instances are served as multipart/related; type=\"application/dicom\"");
      return;
    }
    List<InstanceKey> keys = sop != null
        ? List.of(new InstanceKey(study, series, sop))
        : store.keys(InstanceStore.SUFFIX, study, series);
    // The first instance is opened (header and length authenticated) before the status is sent;
    // the others one at a time while streaming, so a study holds one file open, not all.
    Iterator<InstanceKey> next = keys.iterator();
    Optional<StoredInstance> current = openNext(next);
    if (current.isEmpty()) {
      x.sendError(404, "not-found", "no instance matches");
      return;
    }
    OutputStream out = start(x);
    MultipartWriter parts = new MultipartWriter(out);
    x.header(HttpHeader.CONTENT_TYPE, parts.contentType(BlobEndpoints.DICOM));
    while (current.isPresent()) {
      try (StoredInstance instance = current.get(); InputStream in = instance.whole()) {
        parts.part(BlobEndpoints.DICOM);
        copy(in, parts.body(), instance.length());
      }
      current = openNext(next);
    }
    parts.finish();
    finish(x, out);
  }

  private Optional<StoredInstance> openNext(Iterator<InstanceKey> keys)
      throws IOException {
    while (keys.hasNext()) {
      Optional<StoredInstance> s = store.open(keys.next());
      if (s.isPresent()) {
        return s;
      }
    }
    return Optional.empty();
  }

  /** Metadata of every instance with metadata under the study (and series, and SOP). */
  void metadata(Exchange x, String study, String series, String sop) throws IOException {
    if (!accepts(x, Exchange.DICOM_JSON, null)) {
      x.sendError(406, "not-acceptable", "metadata is served as application/dicom+json");
      return;
    }
    List<InstanceKey> keys = sop != null
        ? List.of(new InstanceKey(study, series, sop))
        : store.keys(InstanceStore.META_SUFFIX, study, series);
    List<List<DicomElement>> datasets = new ArrayList<>();
    for (InstanceKey key : keys) {
      metadata.current(key).ifPresent(p -> datasets.add(p.dataset()));
    }
    if (datasets.isEmpty()) {
      x.sendError(404, "not-found", "no instance with metadata matches");
      return;
    }
    x.send(200, Exchange.DICOM_JSON, DicomJson.array(datasets));
  }

  /** Frames {@code list} (1-based, comma-separated) of one instance. */
  void frames(Exchange x, InstanceKey key, String list) throws IOException {
    List<Integer> numbers = new ArrayList<>();
    for (String s : list.split(",", -1)) {
      try {
        int n = Integer.parseInt(s.trim());
        if (n < 1 || numbers.size() >= MAX_FRAMES_PER_REQUEST) {
          throw new NumberFormatException();
        }
        numbers.add(n);
      } catch (NumberFormatException e) {
        x.sendError(400, "invalid-frame-list",
            "frames are a comma-separated list of numbers from 1 (at most "
                + MAX_FRAMES_PER_REQUEST + ")");
        return;
      }
    }
    Optional<InstanceMetadata.Opened> opened = metadata.open(key);
    if (opened.isEmpty()) {
      x.sendError(404, "instance-not-found", "no such instance with metadata");
      return;
    }
    try (StoredInstance instance = opened.get().instance()) {
      ParsedInstance meta = opened.get().metadata();
      if (meta.frames().isEmpty()) {
        x.sendError(404, "frames-not-available",
            "the instance's frames could not be located (no pixel data, bit-packed pixels, or"
                + " fragments that map to frames ambiguously)");
        return;
      }
      String type = meta.encapsulated() ? FrameTypes.of(meta.transferSyntax())
          : "application/octet-stream";
      if (!accepts(x, "multipart/related", type)) {
        x.sendError(406, "not-acceptable", "these frames are served as multipart/related; type=\""
            + type + "\"");
        return;
      }
      for (int n : numbers) {
        if (n > meta.frames().size()) {
          x.sendError(404, "frame-not-found", "the instance has " + meta.frames().size()
              + " frames");
          return;
        }
      }
      OutputStream out = start(x);
      MultipartWriter parts = new MultipartWriter(out);
      x.header(HttpHeader.CONTENT_TYPE, parts.contentType(type));
      String partType = meta.encapsulated() ? type + "; transfer-syntax=" + meta.transferSyntax()
          : type;
      for (int n : numbers) {
        parts.part(partType);
        for (ParsedInstance.Fragment f : meta.frames().get(n - 1)) {
          try (InputStream in = instance.range(f.offset(), f.length())) {
            copy(in, parts.body(), f.length());
          }
        }
      }
      parts.finish();
      finish(x, out);
    }
  }

  /** Status 200; the first 64 KiB are held back, so that an early failure can still be a 500. */
  private static OutputStream start(Exchange x) {
    x.response.setStatus(200);
    return new BufferedOutputStream(Content.Sink.asOutputStream(x.response), BUFFER);
  }

  private static void finish(Exchange x, OutputStream out) throws IOException {
    out.close();
    x.callback.succeeded();
  }

  private static void copy(InputStream in, OutputStream out, long count) throws IOException {
    byte[] buffer = new byte[BUFFER];
    try {
      long sent = 0;
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
        sent += n;
      }
      if (sent != count) {
        throw new IOException("stored instance length changed while streaming");
      }
    } finally {
      Arrays.fill(buffer, (byte) 0);
    }
  }

  /** Media types of encapsulated frames by transfer syntax (PS3.18 Table 8.7.3-2). */
  static final class FrameTypes {
    private static final Map<String, String> TYPES = Map.ofEntries(
        Map.entry("1.2.840.10008.1.2.4.50", "image/jpeg"),
        Map.entry("1.2.840.10008.1.2.4.51", "image/jpeg"),
        Map.entry("1.2.840.10008.1.2.4.57", "image/jpeg"),
        Map.entry("1.2.840.10008.1.2.4.70", "image/jpeg"),
        Map.entry("1.2.840.10008.1.2.4.80", "image/jls"),
        Map.entry("1.2.840.10008.1.2.4.81", "image/jls"),
        Map.entry("1.2.840.10008.1.2.4.90", "image/jp2"),
        Map.entry("1.2.840.10008.1.2.4.91", "image/jp2"),
        Map.entry("1.2.840.10008.1.2.5", "image/dicom-rle"));

    private FrameTypes() {}

    static String of(String transferSyntax) {
      return TYPES.getOrDefault(transferSyntax, "application/octet-stream");
    }
  }
}
