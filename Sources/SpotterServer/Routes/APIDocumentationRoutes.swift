import Hummingbird

/// `GET /openapi.json` (the OpenAPI 3.1 description of every endpoint) and `GET /docs` (the same, as a page).
struct APIDocumentationRoutes {
    func register(on router: SpotterRoutes) {
        router.get("/openapi.json") { _, _ in
            Self.response(OpenAPIDocument.json, contentType: "application/json; charset=utf-8")
        }
        router.get("/docs") { _, _ in
            var response = Self.response(DocsPage.html, contentType: "text/html; charset=utf-8")
            response.headers[.contentSecurityPolicy] = DocsPage.contentSecurityPolicy
            return response
        }
    }

    private static func response(_ text: String, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
