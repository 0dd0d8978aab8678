package dev.cmk.state.azureblob;

import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.SharingWriterProcess;
import dev.cmk.testkit.azurite.Azurite;
import java.util.List;

/**
 * Opens the {@link BlobDataKeyStore} of a {@link SharingWriterProcess} writer in {@link
 * BlobDataKeyWritersProcessIT}: argument the container; the connection string comes from {@value
 * #CONNECTION_STRING}.
 */
public final class BlobWriterStore implements SharingWriterProcess.StoreFactory {
  /** The environment variable that carries Azurite's connection string to the writers. */
  static final String CONNECTION_STRING = "CMK_TEST_BLOB_CONNECTION_STRING";

  /** Called by the writer process, by reflection. */
  public BlobWriterStore() {}

  @Override
  public DataKeyStore open(List<String> args) {
    return BlobDataKeyStore.builder()
        .containerClient(Azurite.client(System.getenv(CONNECTION_STRING), args.get(0))).build();
  }
}
