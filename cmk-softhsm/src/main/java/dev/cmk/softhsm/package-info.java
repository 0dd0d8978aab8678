/**
 * The PKCS#11 key provider ({@link dev.cmk.softhsm.Pkcs11KeyProvider}, provider id {@code pkcs11})
 * and its key manager. Non-null by default.
 */
@NullMarked
package dev.cmk.softhsm;

import org.jspecify.annotations.NullMarked;
