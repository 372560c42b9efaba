import Crypto
import Foundation

/// A reply's canonical encodings, made once for a cached answer and reused by every hit on it: the citations' JSON
/// (most of a hit's response and record, about 3 KB), the answer text as JSON, and the reply's hash, which names its
/// one stored copy.
///
/// It travels beside the reply it was made for and is used only while that reply is unchanged; checking that is a
/// pointer comparison when it is, as arrays and strings compare their storage first. A reply changed on the way is
/// encoded afresh. It is not part of the values it travels in: values that differ only in it are equal, and it is
/// never encoded or decoded.
package struct ReplyEncoding: Sendable, Equatable {
    let answer: String
    let citations: [Citation]
    package let citationsJSON: [UInt8]
    /// The answer text as a JSON string, quotes and escapes included (every hit's response carries it).
    package let answerJSON: [UInt8]
    package let hash: String

    /// Nil when the citations cannot be written as JSON (a non-finite score): the usual paths then report that.
    package init?(answer: String, citations: [Citation]) {
        guard let json = JSONWriter.encode(citations) else { return nil }
        self.answer = answer
        self.citations = citations
        citationsJSON = json
        var text = JSONWriter()
        text.value(answer)
        answerJSON = text.bytes
        hash = Self.hash(answer: answer, citationsJSON: json)
    }

    /// Whether this is the encoding of exactly this reply.
    package func encodes(answer: String, citations: [Citation]) -> Bool {
        self.answer == answer && self.citations == citations
    }

    /// SHA-256 of the answer text, a zero byte and the citations' canonical JSON, in hexadecimal: the key of the
    /// reply's one stored copy.
    package static func hash(answer: String, citationsJSON: [UInt8]) -> String {
        var hasher = SHA256()
        var answer = answer
        answer.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        hasher.update(data: [UInt8(0)])
        citationsJSON.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().hexadecimal
    }

    /// Not a part of the value it travels with (see above).
    package static func == (_: ReplyEncoding, _: ReplyEncoding) -> Bool { true }
}
