// swift-tools-version:6.1
import CompilerPluginSupport
import PackageDescription

// The products several targets use, named once.
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let httpClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let grdb: Target.Dependency = .product(name: "GRDB", package: "GRDB.swift")
let nioHTTP1: Target.Dependency = .product(name: "NIOHTTP1", package: "swift-nio")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")

let package = Package(
    name: "Spotter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "spotter", targets: ["spotter"]),
        .library(name: "SpotterCore", targets: ["SpotterCore"]),
        .library(name: "SpotterServer", targets: ["SpotterServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // One C inline function (a cache prefetch for the HNSW search), which Swift cannot express portably.
        .target(name: "CSpotterSupport"),
        // The value types' memberwise initialisers and coding keys (Support/DeclarationMacros.swift), generated
        // instead of written out by hand in some fifty types.
        .macro(
            name: "SpotterMacros",
            dependencies: [
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                .product(name: "SwiftCompilerPlugin", package: "swift-syntax"),
            ]
        ),
        .target(
            name: "SpotterCore",
            dependencies: [
                "CSpotterSupport",
                "SpotterMacros",
                grdb,
                // SQLite's own API, for binding the answer writer's values directly (Storage/DirectBinding.swift).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                logging,
                httpClient,
                metrics,
                .product(name: "Prometheus", package: "swift-prometheus"),
                nioCore,
                nioHTTP1,
                // Start-up and background work (index loading, the model follower) as services of the server's group.
                serviceLifecycle,
                // Looking the settings up (Support/SettingsSource.swift); Spotter's own checks stay beside it.
                .product(name: "Configuration", package: "swift-configuration"),
                // Verifying identity providers' JWT bearer tokens (Security/JWTVerifier.swift).
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            // The built-in prompt registry (SPOTTER_PROMPTS points at another folder) and the language data.
            resources: [.copy("Generation/Prompts"), .copy("Resources/lexicon")]
        ),
        .target(
            name: "SpotterServer",
            dependencies: [
                "SpotterCore",
                hummingbird,
                // The framing of multipart/form-data uploads (Support/Multipart.swift).
                .product(name: "MultipartKit", package: "multipart-kit"),
                // The caller's identity in the request context, the authenticator and scope-policy middleware
                // (Support/Authentication.swift).
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                // The hash of /docs' inline script in its Content-Security-Policy.
                .product(name: "Crypto", package: "swift-crypto"),
                // HTTPS (Support/TLS.swift): Hummingbird's TLS channel over swift-nio-ssl, whose per-handshake
                // callback serves a certificate reloaded on SIGHUP (ServiceLifecycle's UnixSignals).
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                logging,
                nioCore,
                serviceLifecycle,
                metrics,
            ],
            // The HTTP contract (API/openapi.json) and the page that renders it at /docs.
            resources: [.copy("API/openapi.json"), .copy("Documentation/docs-page.html")]
        ),
        // What `spotter bench …` measures with: the loopback load generator, the peer runners and the embedding,
        // index and cache benchmarks. Kept out of the product library.
        .target(
            name: "SpotterBenchmarks",
            dependencies: [
                "SpotterCore",
                logging,
            ]
        ),
        .executableTarget(
            name: "spotter",
            dependencies: [
                "SpotterCore",
                "SpotterServer",
                "SpotterBenchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                logging,
                httpClient,
                metrics,
            ]
        ),
        .target(
            name: "SpotterTestSupport",
            dependencies: [
                "SpotterCore",
                hummingbird,
                nioCore,
                nioHTTP1,
                httpClient,
            ],
            path: "Tests/SpotterTestSupport"
        ),
        .testTarget(
            name: "SpotterCoreTests",
            dependencies: [
                "SpotterCore", "SpotterBenchmarks", "SpotterTestSupport",
                httpClient,
                logging,
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                // A second connection to the store, standing in for another process that changes it.
                grdb,
                // Signs the tokens an identity provider would issue.
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        .testTarget(
            name: "SpotterServerTests",
            dependencies: [
                "SpotterCore", "SpotterServer", "SpotterTestSupport",
                hummingbird,
                // Signs the tokens an identity provider would issue.
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        .testTarget(
            name: "SpotterCLITests",
            dependencies: ["SpotterCore", "SpotterTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
