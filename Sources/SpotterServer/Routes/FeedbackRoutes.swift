import Foundation
import Hummingbird
import SpotterCore

/// `POST /v1/feedback` (a user's verdict on an answer) and `GET /v1/answers/{id}` (an answer's record, with the
/// feedback on it).
struct FeedbackRoutes {
    let engine: LiveEngine
    /// The engine for this request (another after an embedding-model switch).
    var spotter: Spotter { engine.current }

    func register(on router: SpotterRoutes) {
        router.post("/v1/feedback") { request, context -> Response in
            let body = try await JSONRequest.decode(FeedbackRequest.self, from: request, context: context, limit: 64 * 1024)
            guard let rating = Rating(rawValue: body.rating) else {
                throw APIError.invalidField("rating", "must be 'up' or 'down', not '\(body.rating.prefix(40))'")
            }
            let receipt = try await spotter.feedback.submit(
                answerID: body.answerID, rating: rating, user: body.user, reason: body.reason, comment: body.comment,
                correction: body.correction, reader: context.reader)
            return JSONBody.response(receipt)
        }

        router.get("/v1/answers/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let record = try await spotter.answers.recordedAnswer(id: id, reader: context.reader) else { throw FeedbackError.unknownAnswer(id) }
            return JSONBody.response(AnswerView(record: record, feedback: try spotter.feedback.feedback(answerID: id)))
        }
    }
}
