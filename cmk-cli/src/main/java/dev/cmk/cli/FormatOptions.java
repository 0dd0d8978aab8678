package dev.cmk.cli;

import picocli.CommandLine.Option;

/** {@code --format text|json}: the report for people (default) or for scripts. */
final class FormatOptions {
  /** The report formats. */
  enum Format {
    /** Aligned text for people; may change between releases. */
    TEXT,
    /** One JSON object on stdout, schema in cmk-cli/README.md. */
    JSON
  }

  @Option(
      names = "--format",
      paramLabel = "text|json",
      defaultValue = "text",
      description = "Report format: text (default, for people) or json (one object on stdout,"
          + " with schemaVersion; see cmk-cli/README.md).")
  Format format;

  boolean json() {
    return format == Format.JSON;
  }
}
