package dev.cmk.cli;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.EnvelopeInfo;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code cmk decrypt}: an envelope back into its plaintext, streamed in constant memory. */
@Command(
    name = "decrypt",
    resourceBundle = "dev.cmk.cli.help.decrypt",
    mixinStandardHelpOptions = true,
    description = {
      "Decrypts the envelope INPUT (a file, or - for stdin) to -o (a file, or - for stdout).",
      "The key provider follows from the key reference in the envelope's header; its vault or"
          + " PKCS#11 token must be one you allow (--vault, --pkcs11-token, $CMK_VAULTS,"
          + " $CMK_PKCS11_TOKENS), else nothing is contacted and the exit code is 3. A format 2"
          + " envelope names a data-key record: give its store (--data-key-store); the record's"
          + " wrappings name the keys, and the same rule applies to them. To a file,"
          + " nothing is written unless the whole envelope authenticates; to stdout, segments are"
          + " released as they authenticate, so a failure can leave a prefix (exit code not 0).",
      "Refuses to write the plaintext to a terminal (exit 2). Shows bytes, rate and ETA on stderr"
          + " when it is a terminal and the envelope takes a while."
    })
final class DecryptCommand implements Callable<Integer> {
  /** Read-ahead kept while the header is inspected (headers are at most 4 KiB). */
  static final int HEADER_MARK = 64 * 1024;

  @ParentCommand CmkCommand root;

  /** INPUT, -o, -f and --[no-]progress; INPUT and -o are described in help/decrypt.properties. */
  @Mixin StreamOptions streams;

  @Mixin AadOptions aad;

  @Mixin KeyOptions keyOptions;

  @Mixin AllowOptions allowOptions;

  @Mixin DataKeyStoreOptions storeOptions;

  @Override
  public Integer call() throws Exception {
    keyOptions.refuseSecretsOnCommandLine();
    Context ctx = root.context();
    streams.refuseBinaryToTerminal(ctx, "the plaintext");
    byte[] associatedData = aad.bytes();
    KeyAllowList allowed = KeyAllowList.of(allowOptions, ctx, Optional.empty());
    ByteProgress progress = streams.progress(ctx, "decrypt");
    try (InputStream raw = streams.openInput(ctx);
        BufferedInputStream in = new BufferedInputStream(progress.counting(raw), HEADER_MARK)) {
      in.mark(HEADER_MARK);
      EnvelopeInfo info = EnvelopeInfo.read(in);
      in.reset();
      List<KeyReference> keys;
      DataKeyStores.Opened store = null;
      if (info.dataKeyId().isPresent()) {
        // Format 2: the record in the store names the keys; its wrappings pass the allow-list
        // before any provider exists.
        store = DataKeyStores.open(storeOptions, ctx, keyOptions.managedIdentity, false);
        if (store == null) {
          throw new CliException(ExitCode.INVALID_CIPHERTEXT, "this envelope is format 2: its"
              + " data key is a record in a data-key store; give --data-key-store jdbc:URL or"
              + " azure-blob:CONTAINER-URL (or $" + DataKeyStoreOptions.ENV_STORE + ")");
        }
        keys = List.of(RecordWrappings.firstAllowed(store.store(), store.description(),
            info.dataKeyId().get(), allowed));
      } else {
        // Before any provider exists: a vault or token the user did not allow is never contacted.
        allowed.check(info.keyReference());
        keys = List.of(info.keyReference());
      }
      try (ProviderSession session = new ProviderSession(keyOptions, ctx, allowed)) {
        EnvelopeCryptoBuilder b = EnvelopeCrypto.builder();
        session.open(keys).forEach(b::provider);
        if (store != null) {
          b.dataKeyStore(store.store());
        }
        try (EnvelopeCrypto crypto = b.build();
            Io.Output out = streams.openOutput(ctx)) {
          try (InputStream plain = crypto.decryptingStream(in, associatedData)) {
            plain.transferTo(out.stream());
          } finally {
            progress.finish();
          }
          out.commit();
        }
      }
    }
    return ExitCode.OK;
  }
}
