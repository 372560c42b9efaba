import Foundation
import Hummingbird
import NIOCore
import SpotterCore

/// JSON responses with the API's encoder settings.
enum JSONBody {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        response(bytes: ByteBuffer(bytes: (try? CanonicalJSON.data(value)) ?? Data(unencodable.utf8)), status: status)
    }

    /// The same bytes for a type that writes itself (``CanonicalJSON/bytes(_:)``: an answer's response is 4–5 KB).
    static func response(_ value: some Encodable & JSONWritable, status: HTTPResponse.Status = .ok) -> Response {
        response(bytes: ByteBuffer(bytes: (try? CanonicalJSON.bytes(value)) ?? Array(unencodable.utf8)), status: status)
    }

    private static let unencodable = #"{"error":{"code":"internal","message":"could not encode the response"}}"#

    private static func response(bytes: ByteBuffer, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
    }
}
