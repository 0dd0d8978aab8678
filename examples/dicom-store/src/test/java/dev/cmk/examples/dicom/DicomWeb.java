package dev.cmk.examples.dicom;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Test helpers speaking DICOMweb to a {@link TestServer}: STOW bodies, multipart answers. */
final class DicomWeb {
  static final String BOUNDARY = "test-boundary-7d2f";

  private DicomWeb() {}

  static byte[] stowBody(List<byte[]> instances) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] i : instances) {
      out.writeBytes(("--" + BOUNDARY + "\r\nContent-Type: application/dicom\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(i);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  static HttpResponse<String> stow(TestServer t, String path, List<byte[]> instances)
      throws IOException, InterruptedException {
    return t.send(t.request(path)
        .header("Content-Type",
            "multipart/related; type=\"application/dicom\"; boundary=" + BOUNDARY)
        .header("Accept", "application/dicom+json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(stowBody(instances))).build());
  }

  static HttpResponse<byte[]> get(TestServer t, String path, String accept)
      throws IOException, InterruptedException {
    return t.sendForBytes(t.request(path).header("Accept", accept).GET().build());
  }

  /** The parts of a multipart answer. */
  static List<byte[]> parts(HttpResponse<byte[]> r) throws IOException {
    MediaType type = MediaType.parse(r.headers().firstValue("Content-Type").orElseThrow());
    MultipartReader reader =
        new MultipartReader(new ByteArrayInputStream(r.body()), type.parameter("boundary"));
    List<byte[]> parts = new ArrayList<>();
    Optional<MultipartReader.Part> p;
    while ((p = reader.next()).isPresent()) {
      parts.add(p.get().body().readAllBytes());
    }
    return parts;
  }

  /** Number of occurrences of {@code needle} in {@code s}. */
  static int count(String s, String needle) {
    int n = 0;
    for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
