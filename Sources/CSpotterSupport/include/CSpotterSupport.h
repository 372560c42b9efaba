#ifndef CSPOTTER_SUPPORT_H
#define CSPOTTER_SUPPORT_H

/// Asks the CPU to start loading the cache line at `address` for reading. Swift has no portable prefetch; the
/// graph search uses this to overlap the memory latency of the next neighbour's vector with the current dot product.
static inline void spotter_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
