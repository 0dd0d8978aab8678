package dev.cmk.cli;

import dev.cmk.api.KeyReference;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * A command about the one key it names ({@code check-key}, {@code status}): the KEY parameter, the
 * key and format options, and a {@link ProviderSession} that may open only that key's vault or
 * token ({@link KeyAllowList#only}).
 */
abstract class SingleKeyCommand implements Callable<Integer> {
  @ParentCommand CmkCommand root;

  @Parameters(
      index = "0",
      paramLabel = "KEY",
      converter = Policies.KeyReferenceConverter.class,
      description = "The key reference, as a service is configured (versionless: its latest"
          + " version).")
  KeyReference key;

  @Mixin KeyOptions keyOptions;

  @Mixin FormatOptions format;

  @Override
  public final Integer call() throws IOException {
    keyOptions.refuseSecretsOnCommandLine();
    Context ctx = root.context();
    try (ProviderSession session = new ProviderSession(keyOptions, ctx, KeyAllowList.only(key))) {
      return call(ctx, session);
    }
  }

  /**
   * Runs the command.
   *
   * @param ctx the tool's context
   * @param session the providers, limited to the key's vault or token
   * @return the exit code
   * @throws IOException if writing the output fails
   */
  abstract int call(Context ctx, ProviderSession session) throws IOException;
}
