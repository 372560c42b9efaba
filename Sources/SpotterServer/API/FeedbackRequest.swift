import Foundation
import SpotterCore

/// The body of `POST /v1/feedback` (the `FeedbackRequest` schema).
package struct FeedbackRequest: StrictDecodable, Sendable {
    package static let allowedKeys = Set(CodingKeys.allCases.map(\.rawValue))

    package var answerID: String
    /// Decoded as text so that a wrong value gets a message naming the accepted ones.
    package var rating: String
    package var reason: String?
    package var comment: String?
    package var correction: String?
    package var user: String?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case rating, reason, comment, correction, user
        case answerID = "answer_id"
    }
}
