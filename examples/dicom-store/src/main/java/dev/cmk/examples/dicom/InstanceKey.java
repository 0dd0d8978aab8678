package dev.cmk.examples.dicom;

import java.nio.charset.StandardCharsets;

/**
 * Identifies one stored DICOM instance by its Study, Series and SOP Instance UIDs, each a valid
 * {@link DicomUid}.
 *
 * @param studyUid the Study Instance UID
 * @param seriesUid the Series Instance UID
 * @param sopInstanceUid the SOP Instance UID
 */
record InstanceKey(String studyUid, String seriesUid, String sopInstanceUid) {

  /**
   * Validates.
   *
   * @throws NullPointerException if a UID is null
   * @throws IllegalArgumentException if a UID is not a valid DICOM UID
   */
  InstanceKey {
    DicomUid.check(studyUid, "Study Instance UID");
    DicomUid.check(seriesUid, "Series Instance UID");
    DicomUid.check(sopInstanceUid, "SOP Instance UID");
  }

  /**
   * The associated data the instance's envelope is bound to. An envelope copied or renamed onto
   * another instance's path does not decrypt there. Unambiguous: UIDs never contain the separator.
   */
  byte[] associatedData() {
    return ("cmk-example-dicom-store/v1 " + studyUid + "/" + seriesUid + "/" + sopInstanceUid)
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** The URL path of the instance, {@code /studies/{study}/series/{series}/instances/{sop}}. */
  String urlPath() {
    return "/studies/" + studyUid + "/series/" + seriesUid + "/instances/" + sopInstanceUid;
  }

  @Override
  public String toString() {
    return studyUid + "/" + seriesUid + "/" + sopInstanceUid;
  }
}
