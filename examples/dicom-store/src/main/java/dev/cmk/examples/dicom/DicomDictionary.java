package dev.cmk.examples.dicom;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The few attributes the store reads or searches: keyword, tag and value representation (for
 * implicit VR datasets, where the VR is not in the stream). Attributes not listed are kept as
 * {@code UN} when the stream is implicit VR.
 */
final class DicomDictionary {
  static final int TRANSFER_SYNTAX_UID = 0x00020010;
  static final int SPECIFIC_CHARACTER_SET = 0x00080005;
  static final int SOP_CLASS_UID = 0x00080016;
  static final int SOP_INSTANCE_UID = 0x00080018;
  static final int STUDY_DATE = 0x00080020;
  static final int MODALITIES_IN_STUDY = 0x00080061;
  static final int MODALITY = 0x00080060;
  static final int PATIENT_NAME = 0x00100010;
  static final int STUDY_INSTANCE_UID = 0x0020000D;
  static final int SERIES_INSTANCE_UID = 0x0020000E;
  static final int NUMBER_OF_FRAMES = 0x00280008;
  static final int SAMPLES_PER_PIXEL = 0x00280002;
  static final int ROWS = 0x00280010;
  static final int COLUMNS = 0x00280011;
  static final int BITS_ALLOCATED = 0x00280100;
  static final int PIXEL_DATA = 0x7FE00010;
  static final int NUMBER_OF_STUDY_RELATED_SERIES = 0x00201206;
  static final int NUMBER_OF_STUDY_RELATED_INSTANCES = 0x00201208;
  static final int NUMBER_OF_SERIES_RELATED_INSTANCES = 0x00201209;
  static final int RETRIEVE_URL = 0x00081190;

  private static final Map<String, Integer> TAGS = new HashMap<>();
  private static final Map<Integer, String> VRS = new HashMap<>();

  static {
    add("TransferSyntaxUID", TRANSFER_SYNTAX_UID, "UI");
    add("SpecificCharacterSet", SPECIFIC_CHARACTER_SET, "CS");
    add("ImageType", 0x00080008, "CS");
    add("SOPClassUID", SOP_CLASS_UID, "UI");
    add("SOPInstanceUID", SOP_INSTANCE_UID, "UI");
    add("StudyDate", STUDY_DATE, "DA");
    add("SeriesDate", 0x00080021, "DA");
    add("StudyTime", 0x00080030, "TM");
    add("AccessionNumber", 0x00080050, "SH");
    add("Modality", MODALITY, "CS");
    add("ModalitiesInStudy", MODALITIES_IN_STUDY, "CS");
    add("ReferringPhysicianName", 0x00080090, "PN");
    add("StudyDescription", 0x00081030, "LO");
    add("SeriesDescription", 0x0008103E, "LO");
    add("RetrieveURL", RETRIEVE_URL, "UR");
    add("PatientName", PATIENT_NAME, "PN");
    add("PatientID", 0x00100020, "LO");
    add("PatientBirthDate", 0x00100030, "DA");
    add("PatientSex", 0x00100040, "CS");
    add("StudyInstanceUID", STUDY_INSTANCE_UID, "UI");
    add("SeriesInstanceUID", SERIES_INSTANCE_UID, "UI");
    add("StudyID", 0x00200010, "SH");
    add("SeriesNumber", 0x00200011, "IS");
    add("InstanceNumber", 0x00200013, "IS");
    add("NumberOfStudyRelatedSeries", NUMBER_OF_STUDY_RELATED_SERIES, "IS");
    add("NumberOfStudyRelatedInstances", NUMBER_OF_STUDY_RELATED_INSTANCES, "IS");
    add("NumberOfSeriesRelatedInstances", NUMBER_OF_SERIES_RELATED_INSTANCES, "IS");
    add("SamplesPerPixel", SAMPLES_PER_PIXEL, "US");
    add("PhotometricInterpretation", 0x00280004, "CS");
    add("NumberOfFrames", NUMBER_OF_FRAMES, "IS");
    add("Rows", ROWS, "US");
    add("Columns", COLUMNS, "US");
    add("BitsAllocated", BITS_ALLOCATED, "US");
    add("BitsStored", 0x00280101, "US");
    add("HighBit", 0x00280102, "US");
    add("PixelRepresentation", 0x00280103, "US");
    add("PixelData", PIXEL_DATA, "OW");
  }

  private DicomDictionary() {}

  private static void add(String keyword, int tag, String vr) {
    TAGS.put(keyword.toLowerCase(Locale.ROOT), tag);
    VRS.put(tag, vr);
  }

  /**
   * The tag of a query key: a keyword of this dictionary, or eight hex digits.
   *
   * @param key e.g. {@code PatientID} or {@code 00100020}
   * @return the tag, or empty if neither
   */
  static OptionalInt tagOf(String key) {
    Integer t = TAGS.get(key.toLowerCase(Locale.ROOT));
    if (t != null) {
      return OptionalInt.of(t);
    }
    if (key.length() == 8 && key.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      return OptionalInt.of((int) Long.parseLong(key, 16));
    }
    return OptionalInt.empty();
  }

  /** The VR of an attribute in an implicit VR stream: group lengths UL, items SQ-less, else UN. */
  static String implicitVr(int tag) {
    if ((tag & 0xffff) == 0) {
      return "UL";
    }
    return VRS.getOrDefault(tag, "UN");
  }

  /** The dictionary VR of a tag, if known. */
  static String vrOf(int tag) {
    return VRS.getOrDefault(tag, "UN");
  }

  /** {@code GGGGEEEE}, upper case. */
  static String hex(int tag) {
    return String.format("%08X", tag);
  }
}
