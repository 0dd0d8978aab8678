/**
 * The {@code cmk} command-line tool. Non-null by default; picocli fills option fields that stay
 * null when an option is not given, and those are marked {@link
 * org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cmk.cli;

import org.jspecify.annotations.NullMarked;
