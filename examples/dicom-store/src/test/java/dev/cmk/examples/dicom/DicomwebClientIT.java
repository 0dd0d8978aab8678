package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * npm {@code dicomweb-client} 0.11.3 (the DICOMweb client of OHIF, written by others), run by
 * Node.js against a real store: it stores three instances (STOW-RS), searches studies, series and
 * instances (QIDO-RS), retrieves an instance, its metadata and two frames (WADO-RS). The bytes it
 * gets back equal what was stored.
 */
@Timeout(600)
class DicomwebClientIT {
  @TempDir Path dir;

  @Test
  void dicomwebClient_storesSearchesAndRetrieves_bytesAsStored() throws Exception {
    Path install = ExternalTools.npmInstall("dicomweb-client", "cmk-dicomweb-client");
    Path in = Files.createDirectories(dir.resolve("in"));
    Path out = Files.createDirectories(dir.resolve("out"));
    DicomFiles multi = new DicomFiles().uids("1.2.3.70", "1.2.3.70.1", "1.2.3.70.1.1");
    multi.sopClass = DicomFiles.MF_GRAYSCALE_WORD_SC;
    multi.rows = 128;
    multi.columns = 128;
    multi.frames = 10;
    multi.modality = "CT";
    DicomFiles second = new DicomFiles().uids("1.2.3.70", "1.2.3.70.2", "1.2.3.70.2.1");
    second.modality = "MR";
    DicomFiles other = new DicomFiles().uids("1.2.3.80", "1.2.3.80.1", "1.2.3.80.1.1");
    other.patientName = "Roe^Richard";
    other.studyDate = "20230102";
    Files.write(in.resolve("a.dcm"), multi.build());
    Files.write(in.resolve("b.dcm"), second.build());
    Files.write(in.resolve("c.dcm"), other.build());
    Path script = dir.resolve("dicomweb-client-it.js");
    Files.write(script, ExternalTools.resource("dicomweb-client/dicomweb-client-it.js"));

    try (TestServer t = TestServer.start(dir.resolve("data"))) {
      String base = t.server.uri().toString().replaceAll("/$", "");
      ProcessBuilder pb = new ProcessBuilder("node", script.toString(), base, in.toString(),
          out.toString(), "1.2.3.70", "1.2.3.70.1", "1.2.3.70.1.1", "2,9");
      pb.environment().put("NODE_PATH", install.resolve("node_modules").toString());
      Path log = dir.resolve("node.log");
      int exit = ExternalTools.runLogged(pb, log, 5);
      assertEquals(0, exit, Files.readString(log));
    }

    String results = Files.readString(out.resolve("results.json"));
    String studies = section(results, "studies");
    assertEquals(2, DicomWeb.count(studies, "\"0020000D\""), studies);
    String byName = section(results, "studiesByName");
    assertEquals(1, DicomWeb.count(byName, "\"0020000D\""), byName);
    assertTrue(byName.contains("1.2.3.70"), byName);
    String byDate = section(results, "studiesByDate");
    assertEquals(1, DicomWeb.count(byDate, "\"0020000D\""), byDate);
    assertEquals(2, DicomWeb.count(section(results, "series"), "\"0020000E\""));
    assertEquals(1, DicomWeb.count(section(results, "instances"), "\"00080018\""));
    String metadata = section(results, "metadata");
    assertTrue(metadata.contains("\"00280008\":{\"vr\":\"IS\",\"Value\":[10]}"), metadata);
    assertTrue(metadata.contains("\"Alphabetic\":\"Doe^Jane\""), metadata);
    assertTrue(results.contains("\"frameCount\":2"), results);
    assertArrayEquals(multi.build(), Files.readAllBytes(out.resolve("instance.dcm")));
    assertArrayEquals(multi.frame(1), Files.readAllBytes(out.resolve("frame-2.bin")));
    assertArrayEquals(multi.frame(8), Files.readAllBytes(out.resolve("frame-9.bin")));
  }

  /** The JSON value of a top-level key of the results object (up to the next key). */
  private static String section(String results, String key) {
    int start = results.indexOf("\"" + key + "\":");
    assertTrue(start >= 0, key + " missing: " + results);
    int depth = 0;
    int i = results.indexOf(':', start) + 1;
    for (; i < results.length(); i++) {
      char c = results.charAt(i);
      if (c == '[' || c == '{') {
        depth++;
      } else if (c == ']' || c == '}') {
        if (depth == 0) {
          break;
        }
        depth--;
      } else if (c == ',' && depth == 0) {
        break;
      } else if (c == '"') {
        i = results.indexOf('"', i + 1);
        while (results.charAt(i - 1) == '\\') {
          i = results.indexOf('"', i + 1);
        }
      }
    }
    return results.substring(start, i);
  }
}
