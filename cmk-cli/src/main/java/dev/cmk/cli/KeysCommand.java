package dev.cmk.cli;

import com.azure.json.JsonWriter;
import dev.cmk.api.DeletedKey;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyManager;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code cmk keys}: manages keys through the {@link KeyManager} of whichever provider serves the
 * key (the keystore for {@code local:} keys, a PKCS#11 token for {@code pkcs11:} keys). Providers
 * without a manager (Azure Key Vault, whose key-management roles are separate from the crypto
 * ones) are refused with a usage error; their keys are managed with the vault's own tools.
 */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = {
      "Manages keys of every key store whose provider has a key manager: the local PKCS#12"
          + " keystore and PKCS#11 tokens (manage Key Vault keys with Azure's own tools).",
      "KEY is local:NAME[/VERSION] (or just NAME[/VERSION]) or"
          + " pkcs11:token=LABEL;object=NAME[;id=VERSION]."
    },
    subcommands = {
      KeysCommand.Create.class,
      KeysCommand.Rotate.class,
      KeysCommand.Disable.class,
      KeysCommand.Enable.class,
      KeysCommand.ListKeys.class
    })
final class KeysCommand implements Runnable {
  @ParentCommand CmkCommand root;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a keys command is required");
  }

  /** What every keys subcommand has: its parent, the key options and the output format. */
  abstract static class Subcommand implements Callable<Integer> {
    @ParentCommand KeysCommand keys;

    @Mixin KeyOptions keyOptions;

    @Mixin FormatOptions format;

    Context context() {
      return keys.root.context();
    }

    /** A session that may open only the key store of {@code key}. */
    ProviderSession session(KeyReference key) {
      return new ProviderSession(keyOptions, context(), KeyAllowList.only(key));
    }

    /**
     * Prints the version a keys command produced or changed: the reference alone (text), or
     * {@code {"schemaVersion":1,"command":...,"reference":...,"enabled":...}} (json).
     */
    void printReference(String command, KeyReference version, boolean enabled) throws IOException {
      Context ctx = context();
      if (!format.json()) {
        ctx.out().println(
            command.equals("keys enable") || command.equals("keys disable")
                ? (enabled ? "enabled " : "disabled ") + version
                : version.toString());
        return;
      }
      try (JsonReport j = JsonReport.start(ctx.out(), command)) {
        j.string("key", version.versionless())
            .string("version", version.version().orElse(null))
            .string("reference", version)
            .bool("enabled", enabled);
      }
    }
  }

  /** {@code cmk keys create KEY}. */
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Creates an RSA key (and the keystore file if missing); prints its versioned"
          + " reference.")
  static final class Create extends Subcommand {
    @Option(names = "--size", defaultValue = "3072", paramLabel = "BITS",
        description = "RSA modulus size: 2048, 3072 or 4096 (default: ${DEFAULT-VALUE}).")
    int size;

    @Parameters(index = "0", paramLabel = "KEY", converter = Policies.KeyReferenceConverter.class,
        description = "The key to create, without a version: NAME (letters, digits, hyphens),"
            + " local:NAME or pkcs11:token=LABEL;object=NAME.")
    KeyReference key;

    @Override
    public Integer call() throws IOException {
      KeyReference ref = key;
      if (ref.isVersioned()) {
        throw new CliException(ExitCode.USAGE, "give a key name without a version");
      }
      try (ProviderSession s = session(ref)) {
        printReference("keys create", s.keyManagerFor(ref, true).createKey(ref.name(), size), true);
      }
      return ExitCode.OK;
    }
  }

  /** {@code cmk keys rotate KEY}. */
  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = "Creates a new version, which becomes the latest; prints its reference.")
  static final class Rotate extends Subcommand {
    @Parameters(index = "0", paramLabel = "KEY", converter = Policies.KeyReferenceConverter.class)
    KeyReference key;

    @Override
    public Integer call() throws IOException {
      KeyReference ref = key;
      try (ProviderSession s = session(ref)) {
        printReference("keys rotate", s.keyManagerFor(ref, false).rotateKey(ref), true);
      }
      return ExitCode.OK;
    }
  }

  /** Disable and enable: a versionless KEY means its latest version. */
  abstract static class SetEnabled extends Subcommand {
    @Parameters(index = "0", paramLabel = "KEY", converter = Policies.KeyReferenceConverter.class)
    KeyReference key;

    abstract boolean enabled();

    @Override
    public Integer call() throws IOException {
      KeyReference ref = key;
      try (ProviderSession s = session(ref)) {
        KeyManager manager = s.keyManagerFor(ref, false);
        KeyReference version = ref.isVersioned() ? ref : s.providerFor(ref).resolveLatest(ref);
        manager.setEnabled(version, enabled());
        printReference(enabled() ? "keys enable" : "keys disable", version, enabled());
      }
      return ExitCode.OK;
    }
  }

  /** {@code cmk keys disable KEY}. */
  @Command(name = "disable", mixinStandardHelpOptions = true,
      description = "Disables a version (versionless: the latest). Services using the key store"
          + " refuse it at their next call.")
  static final class Disable extends SetEnabled {
    @Override
    boolean enabled() {
      return false;
    }
  }

  /** {@code cmk keys enable KEY}. */
  @Command(name = "enable", mixinStandardHelpOptions = true,
      description = "Enables a version again (versionless: the latest).")
  static final class Enable extends SetEnabled {
    @Override
    boolean enabled() {
      return true;
    }
  }

  /** {@code cmk keys list [KEY]}. */
  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Lists keys and their versions (newest last), and soft-deleted keys: of the"
          + " keystore, or of a PKCS#11 token with --pkcs11-token.")
  static final class ListKeys extends Subcommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "KEY",
        converter = Policies.KeyReferenceConverter.class, description = "Only this key.")
    @Nullable KeyReference key;

    @Option(names = "--pkcs11-token", paramLabel = "LABEL",
        description = "List the keys of this PKCS#11 token instead of the keystore's.")
    @Nullable String token;

    @Override
    public Integer call() throws IOException {
      if (key != null && token != null) {
        throw new CliException(ExitCode.USAGE, "give either KEY or --pkcs11-token");
      }
      KeyReference store = key != null ? key : ProviderSession.storeOf(token);
      PrintStream out = context().out();
      try (ProviderSession s = session(store)) {
        KeyManager manager = s.keyManagerFor(store, false);
        List<KeyReference> names = key == null ? manager.listKeys() : List.of(key.versionless());
        List<DeletedKey> deleted = key == null ? manager.listDeletedKeys() : List.of();
        if (format.json()) {
          json(out, s.storeField(store), manager, names, deleted);
        } else {
          text(out, manager, names, deleted);
          if (names.isEmpty() && key == null) {
            out.println("(no keys in " + s.storeField(store).getValue() + ")");
          }
        }
      }
      return ExitCode.OK;
    }

    private static void text(
        PrintStream out, KeyManager manager, List<KeyReference> names, List<DeletedKey> deleted) {
      for (KeyReference k : names) {
        out.println(k);
        List<KeyDescription> versions = manager.listVersions(k);
        for (int i = 0; i < versions.size(); i++) {
          KeyDescription d = versions.get(i);
          out.printf(
              "  %-20s %s %d  %-8s  %s%s%s%n",
              d.version(),
              d.keyType().jwkName(),
              d.sizeBits(),
              d.enabled() ? "enabled" : "DISABLED",
              PolicyReport.operations(d.operations()),
              (d.notBefore() == null ? "" : "  not-before " + d.notBefore())
                  + (d.expiresOn() == null ? "" : "  expires " + d.expiresOn()),
              i == versions.size() - 1 ? "  (latest)" : "");
        }
      }
      for (DeletedKey d : deleted) {
        out.println(
            d.key() + "  DELETED " + d.deletedOn() + ", recoverable until "
                + d.scheduledPurge() + " (" + d.versions() + " versions)");
      }
    }

    private static void json(
        PrintStream out,
        java.util.Map.Entry<String, String> store,
        KeyManager manager,
        List<KeyReference> names,
        List<DeletedKey> deleted)
        throws IOException {
      try (JsonReport j = JsonReport.start(out, "keys list")) {
        j.string(store.getKey(), store.getValue());
        JsonWriter w = j.writer();
        w.writeStartArray("keys");
        for (KeyReference k : names) {
          w.writeStartObject();
          w.writeStringField("key", k.toString());
          w.writeStartArray("versions");
          List<KeyDescription> versions = manager.listVersions(k);
          for (int i = 0; i < versions.size(); i++) {
            version(w, versions.get(i), i == versions.size() - 1);
          }
          w.writeEndArray();
          w.writeEndObject();
        }
        w.writeEndArray();
        w.writeStartArray("deleted");
        for (DeletedKey d : deleted) {
          w.writeStartObject();
          w.writeStringField("key", d.key().toString());
          w.writeStringField("deletedOn", d.deletedOn().toString());
          w.writeStringField("scheduledPurge", d.scheduledPurge().toString());
          w.writeIntField("versions", d.versions());
          w.writeEndObject();
        }
        w.writeEndArray();
      }
    }

    private static void version(JsonWriter w, KeyDescription d, boolean latest) throws IOException {
      w.writeStartObject();
      w.writeStringField("version", d.version());
      w.writeStringField("reference", d.reference().toString());
      w.writeStringField("keyType", d.keyType().jwkName());
      w.writeIntField("sizeBits", d.sizeBits());
      w.writeBooleanField("enabled", d.enabled());
      w.writeStartArray("operations");
      for (String op : PolicyReport.operations(d.operations()).split(", ")) {
        if (!op.equals("(none)")) {
          w.writeString(op);
        }
      }
      w.writeEndArray();
      instant(w, "notBefore", d.notBefore());
      instant(w, "expires", d.expiresOn());
      w.writeBooleanField("latest", latest);
      w.writeEndObject();
    }

    private static void instant(JsonWriter w, String name, @Nullable Instant value)
        throws IOException {
      if (value == null) {
        w.writeNullField(name);
      } else {
        w.writeStringField(name, value.toString());
      }
    }
  }
}
