import SpotterCore
import Testing

@Suite("Cache purge rule")
struct CachePurgeTests {
    @Test func aPurgeNamesAScopeOrAllNeverBothAndNoEmptyValue() throws {
        #expect(try CachePurge(tenant: "t").filter == CachePurgeFilter(tenant: "t"))
        #expect(try CachePurge(all: true).filter == CachePurgeFilter())
        #expect(throws: CachePurgeError.noScope) { try CachePurge() }
        #expect(throws: CachePurgeError.scopeWithAll) { try CachePurge(knowledgeBase: "kb", all: true) }
        #expect(throws: CachePurgeError.emptyValue("prompt_version")) { try CachePurge(promptVersion: "") }
    }

    @Test func eachShellNamesTheFieldsItsOwnWay() {
        #expect(CachePurgeError.noScope.description == "name a scope (tenant, kb, assistant, prompt_version) or pass all=true")
        #expect(CachePurgeError.scopeWithAll.description == "all=true cannot be combined with a scope")
        let cli = { (name: String) in "--" + name.replacingOccurrences(of: "_", with: "-") }
        #expect(CachePurgeError.noScope.message(naming: cli) == "name a scope (--tenant, --kb, --assistant, --prompt-version) or pass --all")
        #expect(CachePurgeError.emptyValue("prompt_version").message(naming: cli) == "--prompt-version must not be empty")
    }
}
