/**
 * JMH benchmarks of cmk side by side with the libraries a user would pick instead: Google Tink,
 * the AWS Encryption SDK for Java, and raw JDK {@code AES/GCM/NoPadding} as the ceiling.
 *
 * <p>Every library wraps its data keys with a local RSA-2048 key (RSA-OAEP with SHA-256) so that
 * no network is measured. Each comparison runs in one JMH invocation, so the ratios between the
 * libraries survive the noise of a shared machine. See {@code cmk-benchmarks/README-peers.md} for
 * what each side does, how to run the suite and the last results.
 */
package dev.cmk.benchmarks.peers;
