package dev.cmk.softhsm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LogBridgeTest {

  @Test
  void format_placeholders_replacedInOrder() {
    assertEquals("a=1, b=x", LogBridge.format("a={}, b={}", 1, "x"));
  }

  @Test
  void format_moreArgumentsOrPlaceholders_keepsTheRest() {
    assertEquals("a=1", LogBridge.format("a={}", 1, 2));
    assertEquals("a=1, b={}", LogBridge.format("a={}, b={}", 1));
    assertEquals("plain", LogBridge.format("plain"));
    assertEquals("", LogBridge.format(null));
  }
}
