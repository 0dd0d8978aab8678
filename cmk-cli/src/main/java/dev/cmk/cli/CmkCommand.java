package dev.cmk.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The {@code cmk} command: only dispatches to its subcommands. */
@Command(
    name = "cmk",
    mixinStandardHelpOptions = true,
    versionProvider = CmkCommand.Version.class,
    description = "Customer-managed-key envelope encryption: encrypt, decrypt, inspect, re-wrap;"
        + " check keys against the FHIR/DICOM key policies; manage local keystore keys.",
    subcommands = {
      EncryptCommand.class,
      DecryptCommand.class,
      InspectCommand.class,
      RewrapCommand.class,
      RecordsCommand.class,
      CheckKeyCommand.class,
      StatusCommand.class,
      KeysCommand.class
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  success",
      "  1  internal error (a bug: run with --verbose and report it)",
      "  2  usage error (also: binary output to a terminal)",
      "  3  key not found, access denied or suspended; vault or token not allowed",
      "  4  key provider or data-key store unavailable",
      "  5  key policy violation",
      "  6  I/O error",
      "  7  invalid ciphertext or format (not an envelope, tampered, wrong --aad)"
    })
final class CmkCommand implements Runnable {
  private final Context context;

  @Spec CommandSpec spec;

  @Option(
      names = {"-v", "--verbose"},
      scope = ScopeType.INHERIT,
      description = "On errors, also print the cause chain; enable informational logging.")
  boolean verbose;

  CmkCommand(Context context) {
    this.context = context;
  }

  Context context() {
    return context;
  }

  boolean verbose() {
    return verbose;
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a command is required");
  }

  /** Reads the version Maven wrote into {@code version.properties}. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties p = new Properties();
      try (InputStream in = CmkCommand.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {
        "cmk " + p.getProperty("version", "unknown"),
        "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"
      };
    }
  }
}
