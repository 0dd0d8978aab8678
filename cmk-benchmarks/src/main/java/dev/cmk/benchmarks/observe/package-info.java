/**
 * What metrics cost: {@link dev.cmk.benchmarks.observe.ObserverBenchmark} runs the same 1 KiB
 * round trip with no {@link dev.cmk.core.CryptoObserver} and with {@code cmk-micrometer} bound to
 * a {@code SimpleMeterRegistry}, in one JMH invocation. Outside the default suite of {@code
 * run.sh} (its regex does not enter sub-packages); run it with {@code run.sh
 * '^dev\.cmk\.benchmarks\.observe\.'} or by hand (see {@code cmk-benchmarks/README.md}).
 */
package dev.cmk.benchmarks.observe;
