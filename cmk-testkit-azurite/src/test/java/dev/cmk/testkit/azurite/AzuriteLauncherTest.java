package dev.cmk.testkit.azurite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/** Without Node.js the Azurite tests are skipped, except under CI=true, where they fail. */
class AzuriteLauncherTest {
  @Test
  void nodeMissing_failsUnderCiAndSkipsOtherwise() {
    String missing = "/nonexistent/cmk-test/node";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> Azurite.node(missing));
      assertTrue(e.getMessage().contains("CI=true: not skipped"), e.getMessage());
    } else {
      TestAbortedException e =
          assertThrows(TestAbortedException.class, () -> Azurite.node(missing));
      assertTrue(e.getMessage().contains("Node.js 20 or newer (found: none)"), e.getMessage());
    }
  }

  @Test
  void nodeOnThePath_isAccepted() {
    assertEquals("node", Azurite.node("node")); // skipped (not failed) on a machine without it
  }
}
