package dev.cmk.cli;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.EnvelopeOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code cmk encrypt}: a file or stdin into one envelope, streamed in constant memory. */
@Command(
    name = "encrypt",
    resourceBundle = "dev.cmk.cli.help.encrypt",
    mixinStandardHelpOptions = true,
    description = {
      "Encrypts INPUT (a file, or - for stdin) into an envelope under the key, written to -o"
          + " (a file, or - for stdout).",
      "A versionless key follows rotation (the latest version); the key must pass the key policy.",
      "With --data-key-store the envelope is format 2: a 48-byte header naming a data-key record"
          + " kept in the store, which must be kept as long as the envelope.",
      "Refuses to write the envelope to a terminal (exit 2). Shows bytes, rate and ETA on stderr"
          + " when it is a terminal and the input takes a while."
    })
final class EncryptCommand implements Callable<Integer> {
  @ParentCommand CmkCommand root;

  @Mixin WriteKeyOptions target;

  /** INPUT, -o, -f and --[no-]progress; INPUT and -o are described in help/encrypt.properties. */
  @Mixin StreamOptions streams;

  @Mixin AadOptions aad;

  @Mixin KeyOptions keyOptions;

  @Mixin DataKeyStoreOptions storeOptions;

  @Override
  public Integer call() throws Exception {
    keyOptions.refuseSecretsOnCommandLine();
    Context ctx = root.context();
    streams.refuseBinaryToTerminal(ctx, "the envelope");
    byte[] associatedData = aad.bytes();
    try (ProviderSession session = new ProviderSession(
            keyOptions, ctx, KeyAllowList.only(target.key))) {
      EnvelopeCryptoBuilder b = EnvelopeCrypto.builder().writeKey(target.key).keyPolicy(target.policy);
      session.open(java.util.List.of(target.key)).forEach(b::provider);
      DataKeyStores.Opened store =
          DataKeyStores.open(storeOptions, ctx, keyOptions.managedIdentity, true);
      if (store != null) {
        b.dataKeyStore(store.store()); // format 2: the header names a record in the store
      }
      try (EnvelopeCrypto crypto = b.build();
          InputStream in = streams.openInput(ctx);
          Io.Output out = streams.openOutput(ctx)) {
        EnvelopeOutputStream enc = crypto.encryptingStream(out.stream(), associatedData);
        ByteProgress progress = streams.progress(ctx, "encrypt");
        try {
          progress.counting(in).transferTo(enc);
        } catch (IOException | RuntimeException e) {
          // Never seal a prefix of the input as a complete envelope (to stdout it could not be
          // taken back); what was written does not decrypt, and a file output is deleted.
          enc.abort();
          throw e;
        } finally {
          progress.finish();
        }
        enc.close();
        out.commit();
      }
    }
    return ExitCode.OK;
  }
}
