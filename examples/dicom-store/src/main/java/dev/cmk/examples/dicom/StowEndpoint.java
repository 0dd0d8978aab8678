package dev.cmk.examples.dicom;

import static dev.cmk.examples.dicom.DicomElement.ofText;
import static dev.cmk.examples.dicom.DicomElement.ofUs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;

/**
 * STOW-RS ({@code POST /studies}, {@code POST /studies/{study}}): a {@code multipart/related;
 * type="application/dicom"} body, each part one Part 10 instance, stored (or replacing the stored
 * one) under the UIDs in its dataset. The answer is the PS3.18 store response in DICOM JSON:
 * {@code 00081199} ReferencedSOPSequence for the stored instances, {@code 00081198}
 * FailedSOPSequence (with {@code 00081197} FailureReason) for the others; 200 if all were stored,
 * 202 if some, 409 if none. A key that is not accessible fails the whole request (500 JSON, see
 * {@link Failures}); a full disk answers 507 (instances stored before it stay stored).
 *
 * <p><b>Thread safety:</b> stateless apart from thread-safe collaborators.
 */
final class StowEndpoint {
  /** PS3.7 status: cannot understand (the instance does not parse, or lacks its UIDs). */
  static final int CANNOT_UNDERSTAND = 0xC000;
  /** PS3.7 status: out of resources (the instance is larger than the maximum). */
  static final int OUT_OF_RESOURCES = 0xA700;
  /** PS3.7 status: data set does not match (another study than the URL's). */
  static final int DOES_NOT_MATCH = 0xA900;
  private static final int REFERENCED_SOP_CLASS = 0x00081150;
  private static final int REFERENCED_SOP_INSTANCE = 0x00081155;
  private static final int FAILURE_REASON = 0x00081197;
  private static final int FAILED_SOP_SEQUENCE = 0x00081198;
  private static final int REFERENCED_SOP_SEQUENCE = 0x00081199;

  private final InstanceWriter writer;
  private final InstanceIndex index;

  StowEndpoint(InstanceWriter writer, InstanceIndex index) {
    this.writer = writer;
    this.index = index;
  }

  void store(Exchange x, String study) throws IOException {
    MediaType type = x.contentType();
    String partType = type.parameter("type").toLowerCase(Locale.ROOT);
    if (!type.type().equals("multipart/related")
        || !(partType.isEmpty() || partType.equals(BlobEndpoints.DICOM))
        || type.parameter("boundary").isEmpty()) {
      x.sendError(415, "unsupported-media-type",
          "STOW-RS takes multipart/related; type=\"application/dicom\" with a boundary");
      return;
    }
    MultipartReader reader;
    try {
      reader = new MultipartReader(x.body(), type.parameter("boundary"));
    } catch (IllegalArgumentException e) {
      x.sendError(400, "invalid-multipart", e.getMessage());
      return;
    }
    List<List<DicomElement>> stored = new ArrayList<>();
    List<List<DicomElement>> failed = new ArrayList<>();
    String base = x.baseUrl();
    Optional<MultipartReader.Part> part;
    while ((part = reader.next()).isPresent()) {
      String ct = part.get().headers().get("content-type");
      if (ct != null && !MediaType.parse(ct).type().equals(BlobEndpoints.DICOM)) {
        failed.add(List.of(ofUs(FAILURE_REASON, CANNOT_UNDERSTAND)));
        continue;
      }
      InstanceWriter.Result result;
      try {
        result = writer.stow(part.get().body(), study);
      } catch (StoreRejection e) {
        switch (e.reason()) {
          case INSUFFICIENT_STORAGE -> {
            Failures.insufficientStorage(x, "POST " + x.request.getHttpURI().getPath());
            return;
          }
          case TOO_LARGE -> failed.add(List.of(ofUs(FAILURE_REASON, OUT_OF_RESOURCES)));
          case STUDY_MISMATCH -> failed.add(List.of(ofUs(FAILURE_REASON, DOES_NOT_MATCH)));
          default -> failed.add(List.of(ofUs(FAILURE_REASON, CANNOT_UNDERSTAND)));
        }
        continue;
      }
      ParsedInstance meta = result.metadata();
      index.put(result.key(), meta.dataset());
      stored.add(List.of(
          ofText(REFERENCED_SOP_CLASS, "UI", meta.text(DicomDictionary.SOP_CLASS_UID).orElse("")),
          ofText(REFERENCED_SOP_INSTANCE, "UI", result.key().sopInstanceUid()),
          ofText(DicomDictionary.RETRIEVE_URL, "UR", base + result.key().urlPath())));
    }
    List<DicomElement> response = new ArrayList<>();
    if (study != null) {
      response.add(ofText(DicomDictionary.RETRIEVE_URL, "UR", base + "/studies/" + study));
    }
    if (!failed.isEmpty()) {
      response.add(new DicomElement(FAILED_SOP_SEQUENCE, "SQ", new byte[0], failed));
    }
    if (!stored.isEmpty()) {
      response.add(new DicomElement(REFERENCED_SOP_SEQUENCE, "SQ", new byte[0], stored));
    }
    int status = failed.isEmpty() ? 200 : stored.isEmpty() ? 409 : 202;
    x.header(HttpHeader.CACHE_CONTROL, "no-store");
    x.send(status, Exchange.DICOM_JSON, DicomJson.object(response));
  }
}
