import Foundation
import SpotterTestSupport
import Testing

/// HTTPS with `SPOTTER_TLS_CERT` and `SPOTTER_TLS_KEY`: certificates made by openssl, a server process, and curl as
/// the client (implementations apart from the server's swift-nio-ssl).
extension ChatAndServeTests {
    /// A self-signed certificate for localhost and 127.0.0.1, and its key, under `directory`.
    static func selfSignedCertificate(_ name: String, in directory: URL, key: String = "ec") throws -> (certificate: URL, key: URL) {
        let certificate = directory.appendingPathComponent("\(name).crt"), privateKey = directory.appendingPathComponent("\(name).key")
        let keyOptions = key == "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] : ["-newkey", "rsa:2048"]
        let made = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["openssl", "req", "-x509"] + keyOptions + [
            "-nodes", "-keyout", privateKey.path, "-out", certificate.path, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        guard made.status == 0 else { throw CLIFailure(output: made) }
        return (certificate, privateKey)
    }

    /// curl's exit status and what it printed (`-w` output included) for `arguments`.
    static func curl(_ arguments: [String]) throws -> ProcessOutput {
        try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-sS", "--max-time", "20"] + arguments)
    }

    @Test func servesHTTPSOnlyWithTLS12And13AndReloadsTheCertificateOnSIGHUP() async throws {
        let data = try await Self.data.get()
        let files = try TestEnvironment.temporaryDirectory("tls")
        let first = try Self.selfSignedCertificate("first", in: files)
        let second = try Self.selfSignedCertificate("second", in: files, key: "rsa")
        let served = (certificate: files.appendingPathComponent("served.crt"), key: files.appendingPathComponent("served.key"))
        try FileManager.default.copyItem(at: first.certificate, to: served.certificate)
        try FileManager.default.copyItem(at: first.key, to: served.key)

        // A key that is not the certificate's is refused at start, naming the file.
        let mismatched = try ProcessRunner.run(TestEnvironment.spotterBinary, ["serve", "--port", "0"] + Self.common(data), environment: [
            "SPOTTER_TLS_CERT": first.certificate.path, "SPOTTER_TLS_KEY": second.key.path])
        #expect(mismatched.status != 0)
        #expect(mismatched.stderr.contains("is not the private key of"), "\(mismatched.stderr)")

        let server = try RunningProcess(TestEnvironment.spotterBinary, ["serve", "--port", "0"] + Self.common(data), environment: [
            "SPOTTER_TLS_CERT": served.certificate.path, "SPOTTER_TLS_KEY": served.key.path, "SPOTTER_SHUTDOWN_GRACE": "1"])
        let line = await server.errorLine { $0.contains("serving") }
        let port = try #require(line?.firstMatch(of: /https:\/\/127\.0\.0\.1:(\d+)/).map { String($0.1) }, "\(server.stderr)")
        let health = "https://127.0.0.1:\(port)/healthz"

        // TLS 1.2 and 1.3 both complete, with HSTS on the response.
        for version in ["1.2", "1.3"] {
            let answered = try Self.curl(["-i", "--cacert", first.certificate.path, "--tlsv\(version)", "--tls-max", version, health])
            #expect(answered.status == 0, "TLS \(version): \(answered.stderr)")
            #expect(answered.stdout.hasPrefix("HTTP/1.1 200"), "TLS \(version): \(answered.stdout)")
            #expect(answered.stdout.lowercased().contains("strict-transport-security: max-age=31536000"), "\(answered.stdout)")
        }
        // TLS 1.1 is refused, and so is plain HTTP on the same port: no HTTP response at all.
        let old = try Self.curl(["--cacert", first.certificate.path, "--tlsv1", "--tls-max", "1.1", health])
        #expect(old.status != 0, "TLS 1.1 was accepted: \(old.stdout)")
        let plain = try Self.curl(["-i", "http://127.0.0.1:\(port)/healthz"])
        #expect(plain.status != 0 && !plain.stdout.contains("HTTP/1.1"), "plain HTTP was answered: \(plain.stdout)")

        // A renewed certificate, announced by SIGHUP, is used by the next connection.
        try FileManager.default.removeItem(at: served.certificate)
        try FileManager.default.removeItem(at: served.key)
        try FileManager.default.copyItem(at: second.certificate, to: served.certificate)
        try FileManager.default.copyItem(at: second.key, to: served.key)
        server.signal(SIGHUP)
        #expect(await server.errorLine(timeout: 20) { $0.contains("TLS certificate reloaded") } != nil, "\(server.stderr)")
        let renewed = try Self.curl(["-o", "/dev/null", "-w", "%{http_code}", "--cacert", second.certificate.path, health])
        #expect(renewed.stdout == "200", "\(renewed.stderr)")
        let stale = try Self.curl(["-o", "/dev/null", "--cacert", first.certificate.path, health])
        #expect(stale.status != 0, "the old certificate is still served")

        // A broken file on reload is logged and the certificate in use stays.
        try Data("not a certificate\n".utf8).write(to: served.certificate)
        server.signal(SIGHUP)
        #expect(await server.errorLine(timeout: 20) { $0.contains("TLS certificate not reloaded") } != nil, "\(server.stderr)")
        let kept = try Self.curl(["-o", "/dev/null", "-w", "%{http_code}", "--cacert", second.certificate.path, health])
        #expect(kept.stdout == "200", "\(kept.stderr)")

        server.signal(SIGTERM)
        #expect(await server.waitForExit(timeout: 20) == 0)
    }
}
