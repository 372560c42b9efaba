import CSpotterSupport
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 64-bit counter in a small file that every process opening it maps into memory: an increment in one process
/// is seen by a load in any other, without a system call or a lock. The store uses one to say "the cache version
/// may have moved" so that a cache hit need not read the database to find out.
///
/// The counter is a hint, never the truth: it only tells a reader when to read the truth again.
final class CrossProcessCounter: Sendable {
    /// The mapped page; only its first eight bytes are used. Written only through the atomic C helpers.
    private nonisolated(unsafe) let counter: UnsafeMutablePointer<UInt64>
    private static let mappedBytes = 8

    /// Opens (creating if needed, with `permissions`) the counter file at `path`; nil when it cannot be created or
    /// mapped (a read-only folder, say), and callers then do without it.
    init?(path: String, permissions: mode_t = 0o644) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        // Growing a file of fewer than eight bytes zero-fills it; a file already in use keeps its count.
        if status.st_size < Self.mappedBytes, ftruncate(descriptor, off_t(Self.mappedBytes)) != 0 { return nil }
        let mapped = mmap(nil, Self.mappedBytes, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        guard let mapped, mapped != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }  // MAP_FAILED
        counter = mapped.bindMemory(to: UInt64.self, capacity: 1)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(counter), Self.mappedBytes)
    }

    var value: UInt64 { spotter_shared_counter_load(counter) }

    func increment() { spotter_shared_counter_increment(counter) }
}
