import Foundation
import Hummingbird
import NIOCore

// Stand-in until the http-surface branch lands its shared JSON request decoding; replaced at merge.
enum JSONRequest {
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext, limit: Int) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "the request body is larger than \(limit) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch {
            throw APIError(.badRequest, code: "malformed_json", message: "the body is not valid JSON for this endpoint: \(error)")
        }
    }
}
