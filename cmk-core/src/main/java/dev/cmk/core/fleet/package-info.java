/**
 * Shared loss-of-access state for a service that runs as several replicas that restart.
 *
 * <p>The customer-managed-key contract is a property of the service: once access has been lost
 * for longer than the grace period, the whole service stays unavailable until an explicit
 * refresh, even across restarts and on replicas that never saw the loss. The loss-of-access guard
 * ({@link dev.cmk.core.KeyAccessGuard}) keeps its state machine; with a {@link
 * dev.cmk.core.fleet.FleetStateStore} configured it records what it observes (a loss and its
 * start, the end of the grace period, a recovery, a refresh) and reads what the other replicas
 * observed, at most once per probe interval. {@link dev.cmk.core.fleet.InMemoryFleetStateStore}
 * serves replicas inside one process (and tests); the {@code cmk-state-jdbc} and {@code
 * cmk-state-azure-blob} modules keep the state in a database or a storage account.
 *
 * <p>Non-null by default: parameters, return values and fields are never null unless marked
 * {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cmk.core.fleet;

import org.jspecify.annotations.NullMarked;
