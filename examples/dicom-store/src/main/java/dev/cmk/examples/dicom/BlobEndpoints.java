package dev.cmk.examples.dicom;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;

/**
 * The instance resource as a byte blob, beside DICOMweb: {@code POST|PUT} a Part 10 body
 * ({@code application/dicom}) at {@code /studies/{study}/series/{series}/instances/{sop}}, {@code
 * GET} it whole or by a single {@code Range} (when the request does not ask for {@code
 * multipart/related}), {@code HEAD}, {@code DELETE}. An upload that parses, and whose dataset
 * carries the URL's UIDs, is indexed like a STOW-RS one; otherwise it is stored as bytes only.
 *
 * <p><b>Thread safety:</b> stateless apart from thread-safe collaborators.
 */
final class BlobEndpoints {
  static final String DICOM = "application/dicom";
  private static final int COPY_BUFFER = 64 * 1024;
  private final InstanceStore store;
  private final InstanceWriter writer;
  private final InstanceIndex index;
  private final long maxInstanceSize;

  BlobEndpoints(InstanceStore store, InstanceWriter writer, InstanceIndex index) {
    this.store = store;
    this.writer = writer;
    this.index = index;
    this.maxInstanceSize = store.maxInstanceSize();
  }

  void read(Exchange x, InstanceKey key, boolean head) throws IOException {
    Optional<StoredInstance> opened = store.open(key);
    if (opened.isEmpty()) {
      x.sendError(404, "instance-not-found", "no such instance");
      return;
    }
    try (StoredInstance instance = opened.get()) {
      long length = instance.length();
      // RFC 9110 section 14.2: range handling is defined for GET only; HEAD answers exactly what
      // a GET without Range would. Two field lines of Range or If-Range are not a valid request
      // for a range, which RFC 9110 lets a server ignore: the whole instance.
      RangeSelection selection =
          head || repeated(x, HttpHeader.RANGE) || repeated(x, HttpHeader.IF_RANGE)
              ? new RangeSelection.Whole()
              : RangeSelection.of(
                  x.request.getHeaders().get(HttpHeader.RANGE),
                  x.request.getHeaders().get(HttpHeader.IF_RANGE),
                  instance.etag(),
                  length);
      x.header(HttpHeader.ACCEPT_RANGES, "bytes");
      x.header(HttpHeader.ETAG, instance.etag());
      if (selection instanceof RangeSelection.Unsatisfiable) {
        x.header(HttpHeader.CONTENT_RANGE, "bytes */" + length);
        x.sendError(416, "range-not-satisfiable",
            "the range starts beyond the instance's " + length + " bytes");
        return;
      }
      int status = 200;
      long offset = 0;
      long count = length;
      if (selection instanceof RangeSelection.Partial p) {
        status = 206;
        offset = p.first();
        count = p.length();
        x.header(HttpHeader.CONTENT_RANGE, p.contentRange(length));
      }
      x.header(HttpHeader.CONTENT_TYPE, DICOM);
      x.response.getHeaders().put(HttpHeader.CONTENT_LENGTH, count);
      if (head) {
        x.response.setStatus(status);
        x.response.write(true, null, x.callback);
        return;
      }
      try (InputStream body = status == 200 ? instance.whole() : instance.range(offset, count)) {
        stream(x, body, count, status);
      }
    }
  }

  private static boolean repeated(Exchange x, HttpHeader header) {
    return x.request.getHeaders().getValuesList(header).size() > 1;
  }

  /**
   * Sends {@code count} bytes of {@code body}. The first chunk is decrypted before the status is
   * committed, so a failure there still becomes a proper error response; a failure later aborts
   * the connection.
   */
  static void stream(Exchange x, InputStream body, long count, int status) throws IOException {
    byte[] buffer = new byte[COPY_BUFFER];
    try {
      int n = body.readNBytes(buffer, 0, (int) Math.min(buffer.length, count));
      x.response.setStatus(status);
      OutputStream out = Content.Sink.asOutputStream(x.response);
      long sent = 0;
      while (n > 0) {
        out.write(buffer, 0, n);
        sent += n;
        n = body.readNBytes(buffer, 0, (int) Math.min(buffer.length, count - sent));
      }
      if (sent != count || body.read() >= 0) {
        throw new IOException("stored instance length changed while streaming");
      }
      out.close();
      x.callback.succeeded();
    } finally {
      Arrays.fill(buffer, (byte) 0);
    }
  }

  void write(Exchange x, InstanceKey key, InstanceStore.WriteMode mode) throws IOException {
    String contentType = x.request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    if (contentType == null || !MediaType.parse(contentType).type().equals(DICOM)) {
      x.sendError(415, "unsupported-media-type", "the body must be " + DICOM);
      return;
    }
    if (x.request.getLength() > maxInstanceSize) {
      x.sendError(413, "too-large",
          "the instance is larger than the maximum of " + maxInstanceSize + " bytes");
      return;
    }
    InstanceWriter.Result result;
    try {
      result = writer.write(key, x.body(), mode);
    } catch (StoreRejection e) {
      Failures.rejected(x, e);
      return;
    }
    if (result.metadata() != null) {
      index.put(key, result.metadata().dataset());
    } else {
      index.remove(key);
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("studyInstanceUid", key.studyUid());
    fields.put("seriesInstanceUid", key.seriesUid());
    fields.put("sopInstanceUid", key.sopInstanceUid());
    fields.put("length", result.length());
    fields.put("created", result.created());
    fields.put("indexed", result.metadata() != null);
    x.header(HttpHeader.LOCATION, key.urlPath());
    x.send(result.created() ? 201 : 200, fields);
  }

  void delete(Exchange x, InstanceKey key) throws IOException {
    if (store.delete(key)) {
      index.remove(key);
      x.response.setStatus(204);
      x.callback.succeeded();
    } else {
      x.sendError(404, "instance-not-found", "no such instance");
    }
  }
}
