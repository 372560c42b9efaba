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

/// A person's data as `GET /v1/users/{user}/data` and `spotter users export` show it: each answer record as
/// `GET /v1/answers/{id}` shows it, with the feedback on it.
package struct PersonalDataExportView: Encodable {
    package var export: PersonalDataExport

    package init(_ export: PersonalDataExport) { self.export = export }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(export.user, forKey: .user)
        try container.encode(export.tenant, forKey: .tenant)
        try container.encode(export.exportedAt, forKey: .exportedAt)
        try container.encode(export.sessions, forKey: .sessions)
        try container.encode(export.answers.map { record in
            AnswerView(record: record, feedback: export.feedback.filter { $0.answerID == record.id })
        }, forKey: .answers)
        try container.encode(export.feedback, forKey: .feedback)
        try container.encode(export.cachedAnswers, forKey: .cachedAnswers)
    }

    enum Keys: String, CodingKey {
        case user, tenant, sessions, answers, feedback
        case exportedAt = "exported_at", cachedAnswers = "cached_answers"
    }
}
