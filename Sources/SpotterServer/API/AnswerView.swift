import Foundation
import SpotterCore

/// An answer's record as the API shows it.
struct AnswerView: Encodable {
    var record: AnswerRecord
    var feedback: [Feedback]

    func encode(to encoder: any Encoder) throws {
        try record.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(record.trace.cache, forKey: .cache)
        try container.encode(record.trace.cache != nil, forKey: .cached)
        try container.encode(feedback, forKey: .feedback)
    }

    enum Keys: String, CodingKey { case cache, cached, feedback }
}
