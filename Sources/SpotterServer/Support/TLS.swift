import Foundation
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import SpotterCore
import Synchronization
import UnixSignals

/// Why the TLS files cannot be served with; the message names the file and what to do.
public struct TLSSetupError: Error, CustomStringConvertible {
    public let description: String
}

/// The certificate chain and key HTTPS is served with, reread from their files on SIGHUP.
///
/// Each handshake asks for the current pair through swift-nio-ssl's `sslContextCallback`, so a renewed certificate
/// is used by the next connection while open ones keep theirs, and nothing restarts.
public final class TLSCredentials: Sendable {
    public let files: TLSFiles
    private struct Pair: Sendable {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
    }
    private let current: Mutex<Pair>

    public init(files: TLSFiles) throws(TLSSetupError) {
        self.files = files
        current = Mutex(try Self.read(files))
    }

    /// Rereads both files; on failure the pair in use stays and the error says why.
    public func reload() throws(TLSSetupError) {
        let pair = try Self.read(files)
        current.withLock { $0 = pair }
    }

    /// The server configuration: TLS 1.2 and 1.3 only, the pair looked up at each handshake.
    public func serverConfiguration() -> TLSConfiguration {
        let pair = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: pair.chain.map { .certificate($0) }, privateKey: .privateKey(pair.key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.sslContextCallback = { [self] _, promise in
            let pair = current.withLock { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = pair.chain.map { .certificate($0) }
            override.privateKey = .privateKey(pair.key)
            promise.succeed(override)
        }
        return configuration
    }

    private static func read(_ files: TLSFiles) throws(TLSSetupError) -> Pair {
        func contents(_ url: URL, _ setting: String) throws(TLSSetupError) -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw TLSSetupError(description: "\(setting): cannot read \(url.path)")
            }
            return Array(data)
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(contents(files.certificate, "SPOTTER_TLS_CERT"))
        } catch let error as TLSSetupError {
            throw error
        } catch {
            throw TLSSetupError(description: "SPOTTER_TLS_CERT: \(files.certificate.path) holds no PEM certificate (\(error))")
        }
        guard !chain.isEmpty else {
            throw TLSSetupError(description: "SPOTTER_TLS_CERT: \(files.certificate.path) holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: contents(files.privateKey, "SPOTTER_TLS_KEY"), format: .pem)
        } catch let error as TLSSetupError {
            throw error
        } catch {
            throw TLSSetupError(description: "SPOTTER_TLS_KEY: \(files.privateKey.path) holds no unencrypted PEM private key")
        }
        // A key that does not belong to the certificate fails here, at start or reload, not at each handshake.
        do {
            _ = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                         privateKey: .privateKey(key)))
        } catch {
            throw TLSSetupError(description: "SPOTTER_TLS_KEY: \(files.privateKey.path) is not the private key of \(files.certificate.path)'s certificate")
        }
        return Pair(chain: chain, key: key)
    }
}

/// Rereads the TLS files whenever the process receives SIGHUP (what `systemctl reload` and certbot's deploy hooks
/// send), until the server shuts down.
struct CertificateReloader: Service {
    let credentials: TLSCredentials
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                try credentials.reload()
                logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(credentials.files.certificate.path)"])
            } catch {
                logger.error("TLS certificate not reloaded; the previous one stays in use", metadata: ["error": "\(error.description)"])
            }
        }
    }
}
