/**
 * Internals of the PKCS#11 provider: the token connection, session pool, login, key objects and
 * the RSA-OAEP decoder. Not exported. Non-null by default.
 */
@NullMarked
package dev.cmk.softhsm.internal;

import org.jspecify.annotations.NullMarked;
