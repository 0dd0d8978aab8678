/**
 * The cmk API: key references and descriptions, wrapped keys, the secret-bytes holder and the one
 * unchecked exception hierarchy rooted at {@link dev.cmk.api.CmkException}.
 *
 * <p>Non-null by default: parameters, return values and fields are never null unless marked
 * {@link org.jspecify.annotations.Nullable}; lookups that may find nothing return {@link
 * java.util.Optional}.
 */
@NullMarked
package dev.cmk.api;

import org.jspecify.annotations.NullMarked;
