#ifndef CSPOTTER_SUPPORT_H
#define CSPOTTER_SUPPORT_H

#include <stdint.h>

/// Asks the CPU to start loading the cache line at `address` for reading. Swift has no portable prefetch; the
/// graph search uses this to overlap the memory latency of the next neighbour's vector with the current dot product.
static inline void spotter_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Atomic load and increment of a counter in memory that several processes map (a shared file mapping). Swift's
/// `Atomic` owns its storage and cannot be placed at an address it did not allocate.
static inline uint64_t spotter_shared_counter_load(const uint64_t *counter) {
    return __atomic_load_n(counter, __ATOMIC_ACQUIRE);
}

static inline void spotter_shared_counter_increment(uint64_t *counter) {
    __atomic_fetch_add(counter, 1, __ATOMIC_ACQ_REL);
}

#endif
