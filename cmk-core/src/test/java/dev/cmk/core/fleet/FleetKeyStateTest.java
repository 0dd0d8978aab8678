package dev.cmk.core.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.core.KeyAccessState;
import dev.cmk.core.LossCause;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FleetKeyStateTest {
  private static final Instant T = Instant.parse("2026-12-07T10:00:00Z");

  @Test
  void available_withLossStartOrCause_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> new FleetKeyState(
        KeyAccessState.AVAILABLE, 0, T, LossCause.NONE, T, "r"));
    assertThrows(IllegalArgumentException.class, () -> new FleetKeyState(
        KeyAccessState.AVAILABLE, 0, null, LossCause.KEY_DISABLED, T, "r"));
  }

  @Test
  void lost_withoutLossStartOrCause_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> new FleetKeyState(
        KeyAccessState.UNAVAILABLE, 0, null, LossCause.KEY_DISABLED, T, "r"));
    assertThrows(IllegalArgumentException.class, () -> new FleetKeyState(
        KeyAccessState.REFRESH_REQUIRED, 0, T, LossCause.NONE, T, "r"));
  }

  @Test
  void recordedBy_outsidePrintableAscii_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> FleetKeyState.available(0, T, ""));
    assertThrows(IllegalArgumentException.class, () -> FleetKeyState.available(0, T, "a\nb"));
    assertThrows(IllegalArgumentException.class,
        () -> FleetKeyState.available(0, T, "x".repeat(129)));
    assertThrows(IllegalArgumentException.class, () -> FleetKeyState.available(-1, T, "r"));
  }

  @Test
  void lostSince_available_null() {
    assertNull(FleetKeyState.available(3, T, "a").lostSince());
  }

  @Test
  void lostSince_unavailable_theLossStartNotTheRecordingTime() {
    Instant lostAt = T.minusSeconds(90);
    FleetKeyState lost = FleetKeyState.unavailable(3, lostAt, LossCause.KEY_DISABLED, T, "a");
    assertEquals(lostAt, lost.lostSince());
    assertEquals(T, lost.recordedAt());
  }

  @Test
  void refreshRequired_keepsGenerationLossStartAndCause() {
    FleetKeyState lost = FleetKeyState.unavailable(4, T, LossCause.KEY_DISABLED, T, "a");
    FleetKeyState locked = lost.refreshRequired(T.plusSeconds(1800), "b");
    assertEquals(KeyAccessState.REFRESH_REQUIRED, locked.state());
    assertEquals(4, locked.generation());
    assertEquals(T, locked.lostSince());
    assertEquals(LossCause.KEY_DISABLED, locked.cause());
    assertThrows(IllegalStateException.class,
        () -> FleetKeyState.available(0, T, "a").refreshRequired(T, "b"));
  }
}
