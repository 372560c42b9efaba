import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The server's secret: the key of the HMAC that API keys are stored under.
///
/// From `SPOTTER_SECRET` when set, else from the file `secret` in the data directory, generated on first use with
/// mode 0600. Changing the secret invalidates every API key (their stored hashes no longer match).
public struct ServerSecret: Sendable {
    /// The bytes, kept as an array: Crypto's `SymmetricKey` is not `Sendable`; one is made per hash (cheap).
    let bytes: [UInt8]

    /// At least this many bytes of `SPOTTER_SECRET`: a shorter HMAC key is guessable.
    public static let minimumLength = 32
    public static let fileName = "secret"

    public init(bytes: some DataProtocol) {
        self.bytes = Array(bytes)
    }

    /// The secret the configuration names: `SPOTTER_SECRET`, else the data directory's file (made when missing).
    public static func load(_ configuration: SpotterConfiguration) throws(AccessError) -> ServerSecret {
        if let text = configuration.secret { return ServerSecret(bytes: Array(text.utf8)) }
        return try loadOrCreate(file: configuration.dataDirectory.appendingPathComponent(fileName))
    }

    /// Reads the secret file, or creates it (64 hexadecimal digits of 32 random bytes, mode 0600) when it does not
    /// exist. A file that others may read is refused, as ssh refuses such a private key.
    public static func loadOrCreate(file: URL) throws(AccessError) -> ServerSecret {
        let path = file.path
        // O_EXCL: two processes starting at once do not both write one; the loser reads the winner's.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            var generator = SystemRandomNumberGenerator()
            let fresh = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }.hexadecimal
            let written = fresh.withCString { write(descriptor, $0, strlen($0)) }
            let synced = fsync(descriptor)
            close(descriptor)
            guard written == fresh.utf8.count, synced == 0 else {
                unlink(path)
                throw .secret("cannot write the server secret \(path): \(String(cString: strerror(errno))); check that the data directory is writable")
            }
            return ServerSecret(bytes: Array(fresh.utf8))
        }
        guard errno == EEXIST else {
            throw .secret("cannot create the server secret \(path): \(String(cString: strerror(errno))); check that the data directory exists and is writable, or set SPOTTER_SECRET")
        }
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw .secret("cannot read the server secret \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw .secret("the server secret \(path) may be read by others (mode \(String(status.st_mode & 0o777, radix: 8))); run `chmod 600 \(path)`")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .secret("cannot read the server secret \(path); check its owner and mode (0600)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count >= minimumLength else {
            throw .secret("the server secret \(path) is shorter than \(minimumLength) bytes; delete it to have a new one made (every API key must then be created again)")
        }
        return ServerSecret(bytes: Array(text.utf8))
    }

    /// The keyed hash a key is stored under: HMAC-SHA256, hexadecimal.
    public func hash(_ key: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Array(key.utf8), using: SymmetricKey(data: bytes)).hexadecimal
    }
}
