/**
 * JMH benchmark of {@code Pkcs11KeyProvider.unwrap} (cmk-softhsm) on a real SoftHSM2 token: RSA
 * 2048 and 3072, one and two threads sharing one provider and its session pool.
 *
 * <p>Every trial makes its own throw-away token in a private directory ({@link SoftHsmToken}); the
 * environment variable {@code SOFTHSM2_CONF} must name the configuration file to write, because
 * SoftHSM2 reads it when the library is initialized inside the forked JVM. {@code
 * cmk-benchmarks/run-pkcs11.sh} sets it. See {@code cmk-benchmarks/README-pkcs11.md} for how to
 * run the benchmark and the last results.
 */
package dev.cmk.benchmarks.pkcs11;
