package dev.cmk.state.azureblob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.core.LossCause;
import dev.cmk.core.fleet.FleetKeyState;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FleetStateJsonTest {
  private static final String KEY = "https://contoso.vault.azure.net/keys/dicom-cmk";
  private static final Instant LOST = Instant.parse("2026-12-07T10:15:30.123456789Z");
  private static final Instant NOW = Instant.parse("2026-12-07T10:46:00Z");

  private static FleetKeyState decode(String json) throws Exception {
    return FleetStateJson.decode(json.getBytes(StandardCharsets.UTF_8), KEY);
  }

  private static String valid(String lostSince) {
    return "{\"format\":\"cmk-fleet-state/1\",\"keyId\":\"" + KEY + "\",\"state\":"
        + "\"REFRESH_REQUIRED\",\"generation\":3," + lostSince + "\"cause\":\"KEY_DISABLED\","
        + "\"recordedAt\":\"2026-12-07T10:46:00Z\",\"recordedBy\":\"dicom-1\"}";
  }

  @Test
  void encode_everyStateAndCause_decodesToTheSameValue() throws Exception {
    for (LossCause cause : LossCause.values()) {
      FleetKeyState s = cause == LossCause.NONE
          ? FleetKeyState.available(Long.MAX_VALUE, NOW, "replica \"quoted\" \\ name")
          : FleetKeyState.unavailable(0, LOST, cause, NOW, "r").refreshRequired(NOW, "s");
      assertEquals(s, FleetStateJson.decode(FleetStateJson.encode(KEY, s), KEY));
    }
  }

  @Test
  void decode_handWrittenBlob_isRead() throws Exception {
    FleetKeyState s = decode(valid("\"lostSince\":\"2026-12-07T10:15:30.123456Z\","));
    assertEquals(FleetKeyState.unavailable(3, Instant.parse("2026-12-07T10:15:30.123456Z"),
        LossCause.KEY_DISABLED, NOW, "dicom-1").refreshRequired(NOW, "dicom-1"), s);
  }

  @Test
  void decode_unknownFieldsOfAnyShape_areSkipped() throws Exception {
    String json = valid("\"lostSince\":\"2026-12-07T10:15:30Z\",\"note\":{\"a\":[1,2,{}]},"
        + "\"n\":null,");
    assertEquals(3, decode(json).generation());
  }

  @Test
  void decode_anotherKeysBlob_isRefused() {
    byte[] other = FleetStateJson.encode(KEY + "2", FleetKeyState.available(0, NOW, "r"));
    assertThrows(FleetStateJson.MalformedStateException.class,
        () -> FleetStateJson.decode(other, KEY));
  }

  @Test
  void decode_malformed_isRefusedCaseByCase() {
    String ok = valid("\"lostSince\":\"2026-12-07T10:15:30Z\",");
    String[] bad = {
        "",
        "[]",
        "not json",
        ok + "{}",
        ok.replace("cmk-fleet-state/1", "cmk-fleet-state/2"),
        ok.replace("\"generation\":3", "\"generation\":\"3\""),
        ok.replace("\"generation\":3", "\"generation\":-1"),
        ok.replace("\"generation\":3", "\"generation\":1.5"),
        ok.replace("\"generation\":3", "\"generation\":99999999999999999999"),
        ok.replace("REFRESH_REQUIRED", "PAUSED"),
        ok.replace("KEY_DISABLED", "SOLAR_FLARE"),
        ok.replace("\"lostSince\":\"2026-12-07T10:15:30Z\",", ""),
        ok.replace("\"lostSince\":\"2026-12-07T10:15:30Z\",", "\"lostSince\":5,"),
        ok.replace("2026-12-07T10:46:00Z", "yesterday"),
        ok.replace(",\"recordedBy\":\"dicom-1\"", ""),
        ok.replace("\"recordedBy\":\"dicom-1\"", "\"recordedBy\":\"\""),
        ok.replace("{", "{\"state\":\"AVAILABLE\","),
        ok.replace("\"state\":\"REFRESH_REQUIRED\"", "\"state\":{\"x\":1}"),
    };
    for (String json : bad) {
      assertThrows(FleetStateJson.MalformedStateException.class, () -> decode(json), json);
    }
    assertThrows(FleetStateJson.MalformedStateException.class,
        () -> FleetStateJson.decode(new byte[FleetStateJson.MAX_BYTES], KEY));
  }

  @Test
  void malformedMessage_carriesNoContent() {
    String secretish = valid("\"lostSince\":\"2026-12-07T10:15:30Z\",")
        .replace("KEY_DISABLED", "TOPSECRET");
    Exception e = assertThrows(FleetStateJson.MalformedStateException.class,
        () -> decode(secretish));
    assertFalse(e.getMessage().contains("TOPSECRET"), e.getMessage());
  }
}
