package dev.cmk.state.azureblob;

import com.azure.storage.blob.BlobContainerClient;
import dev.cmk.testkit.azurite.Azurite;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Objects;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A new container on the shared Azurite for one test class, made before its tests run, and the
 * clients of it that the failure tests need. Register it in a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final AzuriteContainer STORAGE = new AzuriteContainer();
 * }</pre>
 */
final class AzuriteContainer implements BeforeAllCallback {
  /** A well-formed account key that is not Azurite's. */
  static final String WRONG_KEY =
      "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3Jvbmc=";

  private Azurite azurite;
  private String name;

  @Override
  public void beforeAll(ExtensionContext context) {
    azurite = Azurite.shared();
    name = azurite.createContainer();
  }

  /** {@return the shared Azurite} */
  Azurite azurite() {
    return Objects.requireNonNull(azurite, "the extension has not run yet");
  }

  /** {@return the container's name} */
  String name() {
    return Objects.requireNonNull(name, "the extension has not run yet");
  }

  /** {@return a new client of the container, with its own HTTP client} */
  BlobContainerClient client() {
    return azurite().client(name());
  }

  /** {@return a client of the container whose account key is {@link #WRONG_KEY}} */
  BlobContainerClient clientWithWrongKey() {
    return Azurite.client(Azurite.connectionString(azurite().port())
        .replace(Azurite.ACCOUNT_KEY, WRONG_KEY), name());
  }

  /**
   * {@return a client of the container on a loopback port that nothing listens on}
   *
   * @throws IOException if no free port can be found
   */
  BlobContainerClient clientOfNothingListening() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    return Azurite.client(Azurite.connectionString(port), name());
  }
}
