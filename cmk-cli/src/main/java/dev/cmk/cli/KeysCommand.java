package dev.cmk.cli;

import dev.cmk.api.DeletedKey;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyReference;
import com.azure.json.JsonWriter;
import dev.cmk.api.DeletedKey;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.keystore.KeystoreKeyProvider;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code cmk keys}: manages keys of the local PKCS#12 keystore (development, on-premises). */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = {
      "Manages keys in the local PKCS#12 keystore (for development and on-premises use; manage"
          + " Key Vault and HSM keys with their own tools).",
      "KEY is local:NAME[/VERSION] or just NAME[/VERSION]."
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

  private static KeyReference local(KeyReference ref) {
    if (ref.kind() != KeyReference.Kind.LOCAL) {
      throw new CliException(
          ExitCode.USAGE,
          "cmk keys manages local keystore keys only; " + ref + " is not a local: key");
    }
    return ref;
  }

  /** {@code cmk keys create NAME}. */
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Creates an RSA key (and the keystore file if missing); prints its versioned reference.")
  static final class Create implements Callable<Integer> {
    @ParentCommand KeysCommand keys;

    @Option(names = "--size", defaultValue = "3072", paramLabel = "BITS",
        description = "RSA modulus size: 2048, 3072 or 4096 (default: ${DEFAULT-VALUE}).")
    int size;

    @Parameters(index = "0", paramLabel = "NAME", converter = Policies.KeyReferenceConverter.class,
        description = "Key name (letters, digits, hyphens).")
    KeyReference name;

    @Mixin KeyOptions keyOptions;

    @Mixin FormatOptions format;

    @Override
    public Integer call() throws java.io.IOException {
      KeyReference ref = local(name);
      if (ref.isVersioned()) {
        throw new CliException(ExitCode.USAGE, "give a key name without a version");
      }
      try (ProviderSession s = new ProviderSession(keyOptions, keys.root.context())) {
        KeyReference v = s.keystore(true).keyManager().orElseThrow().createKey(ref.name(), size);
        printReference(keys.root.context(), format, "keys create", v, true);
      }
      return ExitCode.OK;
    }
  }

  /** {@code cmk keys rotate KEY}. */
  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = "Creates a new version, which becomes the latest; prints its reference.")
  static final class Rotate implements Callable<Integer> {
    @ParentCommand KeysCommand keys;

    @Parameters(index = "0", paramLabel = "KEY", converter = Policies.KeyReferenceConverter.class)
    KeyReference key;

    @Mixin KeyOptions keyOptions;

    @Mixin FormatOptions format;

    @Override
    public Integer call() throws java.io.IOException {
      try (ProviderSession s = new ProviderSession(keyOptions, keys.root.context())) {
        KeyReference v = s.keystore(false).keyManager().orElseThrow().rotateKey(local(key));
        printReference(keys.root.context(), format, "keys rotate", v, true);
      }
      return ExitCode.OK;
    }
  }

  /**
   * Prints the version a keys command produced or changed: the reference alone (text), or {@code
   * {"schemaVersion":1,"command":...,"reference":...,"enabled":...}} (json).
   */
  private static void printReference(
      Context ctx, FormatOptions format, String command, KeyReference version, boolean enabled)
      throws java.io.IOException {
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

  /** Shared by disable and enable: a versionless KEY means its latest version. */
  private static KeyReference setEnabled(
      KeysCommand keys, KeyOptions options, FormatOptions format, KeyReference key, boolean enabled)
      throws java.io.IOException {
    try (ProviderSession s = new ProviderSession(options, keys.root.context())) {
      KeystoreKeyProvider p = s.keystore(false);
      KeyReference version = local(key).isVersioned() ? key : p.resolveLatest(key);
      p.keyManager().orElseThrow().setEnabled(version, enabled);
      printReference(
          keys.root.context(), format, enabled ? "keys enable" : "keys disable", version, enabled);
      return version;
    }
  }

  /** {@code cmk keys disable KEY}. */
  @Command(name = "disable", mixinStandardHelpOptions = true,
      description = "Disables a version (versionless: the latest). Services using the keystore"
          + " refuse it at their next call.")
  static final class Disable implements Callable<Integer> {
    @ParentCommand KeysCommand keys;

    @Parameters(index = "0", paramLabel = "KEY", converter = Policies.KeyReferenceConverter.class)
    KeyReference key;

    @Mixin KeyOptions keyOptions;

    @Mixin FormatOptions format;

    @Override
    public Integer call() throws java.io.IOException {
      setEnabled(keys, keyOptions, format, key, false);
      return ExitCode.OK;
    }
  }

  /** {@code cmk keys enable KEY}. */
  @Command(name = "enable", mixinStandardHelpOptions = true,
      description = "Enables a version again (versionless: the latest).")
  static final class Enable implements Callable<Integer> {
    @ParentCommand KeysCommand keys;

    @Parameters(index = "0", paramLabel = "KEY", converter = Policies.KeyReferenceConverter.class)
    KeyReference key;

    @Mixin KeyOptions keyOptions;

    @Mixin FormatOptions format;

    @Override
    public Integer call() throws java.io.IOException {
      setEnabled(keys, keyOptions, format, key, true);
      return ExitCode.OK;
    }
  }

  /** {@code cmk keys list [KEY]}. */
  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Lists keys and their versions (newest last), and soft-deleted keys.")
  static final class ListKeys implements Callable<Integer> {
    @ParentCommand KeysCommand keys;

    @Parameters(index = "0", arity = "0..1", paramLabel = "KEY", converter = Policies.KeyReferenceConverter.class,
        description = "Only this key.")
    KeyReference key;

    @Mixin KeyOptions keyOptions;

    @Mixin FormatOptions format;

    @Override
    public Integer call() throws java.io.IOException {
      PrintStream out = keys.root.context().out();
      try (ProviderSession s = new ProviderSession(keyOptions, keys.root.context())) {
        KeystoreKeyProvider p = s.keystore(false);
        List<KeyReference> names = key == null ? p.keyManager().orElseThrow().listKeys() : List.of(local(key).versionless());
        List<DeletedKey> deleted = key == null ? p.keyManager().orElseThrow().listDeletedKeys() : List.of();
        if (format.json()) {
          json(out, p, names, deleted);
        } else {
          text(out, p, names, deleted, key == null);
        }
      }
      return ExitCode.OK;
    }

    private static void text(
        PrintStream out,
        KeystoreKeyProvider p,
        List<KeyReference> names,
        List<DeletedKey> deleted,
        boolean all) {
      for (KeyReference k : names) {
        out.println(k);
        List<KeyDescription> versions = p.keyManager().orElseThrow().listVersions(k);
        for (int i = 0; i < versions.size(); i++) {
          KeyDescription d = versions.get(i);
          out.printf(
              "  %-20s %s %d  %-8s  %s%s%s%n",
              d.version(),
              d.keyType().jwkName(),
              d.sizeBits(),
              d.enabled() ? "enabled" : "DISABLED",
              PolicyReport.operations(d.operations()),
              d.notBeforeTime().map(t -> "  not-before " + t).orElse("")
                  + d.expiryTime().map(t -> "  expires " + t).orElse(""),
              i == versions.size() - 1 ? "  (latest)" : "");
        }
      }
      for (DeletedKey d : deleted) {
        out.println(
            d.key() + "  DELETED " + d.deletedOn() + ", recoverable until "
                + d.scheduledPurge() + " (" + d.versions() + " versions)");
      }
      if (names.isEmpty() && all) {
        out.println("(no keys in " + p.path() + ")");
      }
    }

    private static void json(
        PrintStream out, KeystoreKeyProvider p, List<KeyReference> names, List<DeletedKey> deleted)
        throws java.io.IOException {
      try (JsonReport j = JsonReport.start(out, "keys list")) {
        j.string("keystore", p.path());
        JsonWriter w = j.writer();
        w.writeStartArray("keys");
        for (KeyReference k : names) {
          w.writeStartObject();
          w.writeStringField("key", k.toString());
          w.writeStartArray("versions");
          List<KeyDescription> versions = p.keyManager().orElseThrow().listVersions(k);
          for (int i = 0; i < versions.size(); i++) {
            KeyDescription d = versions.get(i);
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
            nullable(w, "notBefore", d.notBeforeTime().map(Object::toString).orElse(null));
            nullable(w, "expires", d.expiryTime().map(Object::toString).orElse(null));
            w.writeBooleanField("latest", i == versions.size() - 1);
            w.writeEndObject();
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

    private static void nullable(JsonWriter w, String name, String value) throws java.io.IOException {
      if (value == null) {
        w.writeNullField(name);
      } else {
        w.writeStringField(name, value);
      }
    }
  }
}
