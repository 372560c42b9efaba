import Foundation
import Hummingbird
import SpotterCore

/// `GET` and `DELETE /v1/users/{user}/data`: a person's data within the caller's tenant, exported or erased (GDPR
/// access and erasure). For an admin of the tenant, or for the person themselves (a token whose user it is).
struct UserDataRoutes {
    let engine: LiveEngine
    var spotter: Spotter { engine.current }

    func register(on router: SpotterRoutes) {
        router.get("/v1/users/:user/data") { request, context -> Response in
            _ = try QueryString(request.uri.query, accepting: [])
            let user = try Self.person(context)
            let export = try await Self.run { () async throws(PersonalDataError) in
                try await spotter.personalData().export(user: user, tenant: context.reader.tenant, actor: context.actor)
            }
            return JSONBody.response(PersonalDataExportView(export))
        }

        router.delete("/v1/users/:user/data") { request, context -> Response in
            _ = try QueryString(request.uri.query, accepting: [])
            let user = try Self.person(context)
            let erased = try await Self.run { () async throws(PersonalDataError) in
                try await spotter.personalData().erase(user: user, tenant: context.reader.tenant, actor: context.actor)
            }
            return JSONBody.response(erased)
        }
    }

    /// The user the path names, if the caller may act on their data: an admin of the tenant may for anyone, a
    /// token's user for themselves only.
    static func person(_ context: SpotterRequestContext) throws -> String {
        let raw = try context.parameters.require("user")
        let user = raw.removingPercentEncoding ?? raw
        do {
            try PersonalDataService.validate(user: user)
        } catch {
            throw APIError.badParameter(error.description)
        }
        let caller = context.identity ?? .open
        guard caller.has(.admin) || caller.userID == user else {
            throw APIError(.forbidden, code: "forbidden",
                           message: "a person's data is for an admin key of the tenant, or for that person's own token")
        }
        return user
    }

    /// Runs an export or erasure, turning its errors into responses (the server secret unreadable is the
    /// operator's problem: a 500 with the detail in the log).
    static func run<T>(_ body: () async throws(PersonalDataError) -> T) async throws -> T {
        do {
            return try await body()
        } catch .invalidUser(let reason) {
            throw APIError.badParameter("user \(reason)")
        } catch .store(let error) {
            throw error
        } catch .secret(let error) {
            throw error
        }
    }
}
