import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Prefixed ids for answers, traces and sessions: the time they were made, then 64 random bits.
///
/// A session id is all a client needs to read the session, so the random part comes from the kernel's secure
/// generator, drawn 4 KiB at a time (a system call for each of the three ids an answer takes showed in cache-hit
/// profiles). The time comes first so that ids made later sort later: each new answer, session and message then
/// lands at the end of its table's key index instead of on a random page of it, which in a large store is a page to
/// read and write back for every answer.
public enum Identifier {
    /// `prefix_`, 12 hexadecimal digits of milliseconds since 1970, 16 of random bits.
    public static func make(_ prefix: String, now: Date = Date()) -> String {
        // Big-endian, so that the digits read in time order; the top two of the eight bytes are always zero.
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000)) & 0xFFFF_FFFF_FFFF
        let random = randomBits.withLock { $0.next() }
        // Written into one buffer: three of these are made for every answer.
        var prefix = prefix
        return prefix.withUTF8 { head in
            String(unsafeUninitializedCapacity: head.count + 29) { text in
                _ = text.initialize(fromContentsOf: head)
                text[head.count] = UInt8(ascii: "_")
                writeHexadecimal(milliseconds, digits: 12, into: text, at: head.count + 1)
                writeHexadecimal(random, digits: 16, into: text, at: head.count + 13)
                return head.count + 29
            }
        }
    }

    /// The low `digits` hexadecimal digits of `value`, most significant first, lowercase.
    private static func writeHexadecimal(_ value: UInt64, digits: Int, into text: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        var rest = value
        for position in stride(from: start + digits - 1, through: start, by: -1) {
            let digit = UInt8(truncatingIfNeeded: rest & 0xF)
            text[position] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
            rest >>= 4
        }
    }

    private static let randomBits = Mutex(RandomPool())

    /// Random bits read from the kernel in blocks, each handed out once.
    struct RandomPool: ~Copyable {
        private var block = [UInt64](repeating: 0, count: 512)
        private var position = 512

        mutating func next() -> UInt64 {
            if position == block.count {
                refill()
                position = 0
            }
            defer { position += 1 }
            return block[position]
        }

        /// A block of the kernel's secure random bytes in one read (`SystemRandomNumberGenerator` makes a system
        /// call for every 8 bytes); the generator itself when the device cannot be read.
        private mutating func refill() {
            let wanted = block.count * MemoryLayout<UInt64>.size
            let descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 {
                defer { close(descriptor) }
                let got = block.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, wanted) }
                if got == wanted { return }
            }
            var generator = SystemRandomNumberGenerator()
            for index in block.indices { block[index] = generator.next() }
        }
    }

    /// Client-chosen ids: 1–128 of letters, digits, '-', '_', '.', ':'.
    static func isValid(_ id: String) -> Bool {
        (1...128).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }
    }
}
