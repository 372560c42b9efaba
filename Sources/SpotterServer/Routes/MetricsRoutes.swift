import Foundation
import Hummingbird
import Metrics
import SpotterCore

/// `GET /metrics`: everything the engine recorded, in Prometheus' text format, with the knowledge bases' sizes
/// counted at scrape time.
struct MetricsRoutes {
    let engine: LiveEngine
    /// The engine for this request (another after an embedding-model switch).
    var spotter: Spotter { engine.current }

    func register(on router: SpotterRoutes) {
        router.get("/metrics") { _, _ -> Response in
            if let counts = try? spotter.store.contentCounts() {
                for count in counts {
                    Gauge(label: "spotter_documents", dimensions: [("tenant", count.knowledgeBase.tenant), ("kb", count.knowledgeBase.name)], factory: spotter.metrics.factory)
                        .record(count.documents)
                    Gauge(label: "spotter_chunks", dimensions: [("tenant", count.knowledgeBase.tenant), ("kb", count.knowledgeBase.name)], factory: spotter.metrics.factory)
                        .record(count.chunks)
                }
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: spotter.metrics.exposition())))
        }
    }
}

/// Counts every request and its latency by method, route (the pattern, not the concrete path, so that ids do not
/// explode the series) and status: `spotter_http_requests_total` and `spotter_http_request_duration_seconds`.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = SpotterRequestContext

    struct Series: Hashable, Sendable {
        var method: String
        var route: String
        var status: Int
    }

    let instruments: MetricHandles<Series, (requests: Counter, duration: Timer)>

    init(factory: any MetricsFactory) {
        instruments = MetricHandles { series in
            let dimensions = [("method", series.method), ("route", series.route), ("status", String(series.status))]
            return (Counter(label: "spotter_http_requests_total", dimensions: dimensions, factory: factory),
                    Timer(label: "spotter_http_request_duration_seconds", dimensions: dimensions, factory: factory))
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            var response = try await next(request, context)
            let status = response.status
            guard response.body.contentLength == nil else {
                record(request, route: context.endpointPath ?? "unmatched", status: status.code, since: started)
                return response
            }
            // A streamed body (an SSE answer) is measured to its end.
            let body = response.body
            response.body = ResponseBody { writer in
                defer { record(request, route: context.endpointPath ?? "unmatched", status: status.code, since: started) }
                try await body.write(writer)
            }
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, route: context.endpointPath ?? "unmatched", status: status, since: started)
            throw error
        }
    }

    private func record(_ request: Request, route: String, status: Int, since started: ContinuousClock.Instant) {
        let series = instruments[Series(method: request.method.rawValue, route: route, status: status)]
        series.requests.increment()
        series.duration.recordNanoseconds(Int64((ContinuousClock.now - started).inSeconds * 1e9))
    }
}
