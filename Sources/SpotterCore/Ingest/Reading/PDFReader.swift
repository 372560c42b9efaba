import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads PDFs with poppler's `pdftotext -layout -enc UTF-8 <file> -`.
///
/// Pages split on form feeds, paragraphs on blank lines; inside a paragraph the layout's runs of spaces collapse
/// and wrapped lines join with a space. Title: the first non-empty line (≤ 120 characters) or the file name.
/// Metadata: `pages` (number). A PDF without a text layer (scanned images) → ``ReadError/pdfFailed(path:detail:)``.
/// `pdftotext` is killed after 120 s.
enum PDFReader {
    static let timeoutSeconds: Double = 120

    /// `pdftotext` on PATH (or in the usual places), if installed.
    static func pdftotextPath() -> String? {
        var directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        directories += ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", "/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = IngestPath.join(directory, "pdftotext")
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func read(_ url: URL, path: String) throws(ReadError) -> ParsedDocument {
        guard let tool = pdftotextPath() else { throw .pdftotextMissing(path: path) }
        let output = try run(tool: tool, file: url.path, displayPath: path)
        let text = IngestText.normalizeNewlines(output)

        var blocks: [Block] = []
        let pages = text.split(separator: "\u{0C}", omittingEmptySubsequences: false)
        var pageCount = pages.count
        if let last = pages.last, last.allSatisfy(\.isWhitespace), pageCount > 1 { pageCount -= 1 }
        for page in pages {
            for paragraph in IngestText.paragraphs(String(page)) {
                let lines = paragraph.split(separator: "\n").map { IngestText.collapseWhitespace($0) }.filter { !$0.isEmpty }
                let joined = lines.joined(separator: " ")
                if !joined.isEmpty { blocks.append(.paragraph(joined)) }
            }
        }
        guard !blocks.isEmpty else {
            throw .pdfFailed(path: path, detail: "it has no extractable text (a scanned image?); run OCR first, e.g. `ocrmypdf in.pdf out.pdf`")
        }
        let firstLine = text.split(separator: "\n").lazy.map { IngestText.collapseWhitespace($0) }.first { !$0.isEmpty && $0 != "\u{0C}" }
        var title = firstLine.map { String($0.prefix(120)).trimmingCharacters(in: .whitespaces) } ?? ""
        title = title.replacingOccurrences(of: "\u{0C}", with: "")
        if title.isEmpty { title = url.deletingPathExtension().lastPathComponent }
        return ParsedDocument(sourceURI: path, title: title, blocks: blocks, metadata: ["pages": .number(Double(pageCount))])
    }

    static func run(tool: String, file: String, displayPath: String) throws(ReadError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-layout", "-enc", "UTF-8", file, "-"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardInput = FileHandle.nullDevice
        let errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("spotter-pdftotext-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorURL) }
        guard let errorHandle = try? FileHandle(forWritingTo: errorURL) else {
            throw .pdfFailed(path: displayPath, detail: "cannot create a temporary file for pdftotext")
        }
        process.standardError = errorHandle
        do {
            try process.run()
        } catch {
            try? errorHandle.close()
            throw .pdfFailed(path: displayPath, detail: "cannot run \(tool): \(error.localizedDescription)")
        }
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: watchdog)
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        try? errorHandle.close()

        if process.terminationReason == .uncaughtSignal {
            throw .pdfFailed(path: displayPath, detail: "pdftotext was stopped (took longer than \(Int(timeoutSeconds)) s, or crashed)")
        }
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
            let detail = IngestText.collapseWhitespace(message.prefix(500))
            throw .pdfFailed(
                path: displayPath,
                detail: "pdftotext exited with status \(process.terminationStatus)" + (detail.isEmpty ? "" : " (\(detail))"))
        }
        return String(decoding: data, as: UTF8.self)
    }
}
