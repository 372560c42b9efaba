import Foundation
import SpotterCore
import Testing

@Suite("Configuration")
struct SpotterConfigurationTests {
    @Test func defaultsApplyWhenNothingIsSet() throws {
        let configuration = try SpotterConfiguration.fromEnvironment([:])
        #expect(configuration.dataDirectory.path.hasSuffix("/.spotter"))
        #expect(configuration.modelDirectory.path.hasSuffix("/" + SpotterConfiguration.defaultModelPath))
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.defaultKnowledgeBase == "default")
        #expect(configuration.embedThreads == nil)
        #expect(configuration.logLevel == .info)
    }

    @Test func everyVariableOverridesItsDefault() throws {
        let configuration = try SpotterConfiguration.fromEnvironment([
            "SPOTTER_DATA_DIR": "/data", "SPOTTER_MODEL_DIR": "/model", "SPOTTER_HOST": "0.0.0.0", "SPOTTER_PORT": "9000",
            "SPOTTER_KB": "coach", "SPOTTER_EMBED_THREADS": "1", "SPOTTER_LOG_LEVEL": "DEBUG",
        ])
        #expect(configuration.dataDirectory.path == "/data")
        #expect(configuration.modelDirectory.path == "/model")
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9000)
        #expect(configuration.defaultKnowledgeBase == "coach")
        #expect(configuration.embedThreads == 1)
        #expect(configuration.logLevel == .debug)
    }

    @Test(arguments: [
        ("SPOTTER_PORT", "http"), ("SPOTTER_PORT", "70000"), ("SPOTTER_KB", "../x"),
        ("SPOTTER_EMBED_THREADS", "0"), ("SPOTTER_LOG_LEVEL", "loud"),
    ])
    func invalidValuesNameTheVariableAndWhatIsExpected(name: String, value: String) {
        #expect {
            _ = try SpotterConfiguration.fromEnvironment([name: value])
        } throws: { error in
            let message = "\(error)"
            return message.contains(name) && message.contains(value) && message.contains("expected")
        }
    }
}
