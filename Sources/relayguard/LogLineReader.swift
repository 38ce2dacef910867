#if canImport(Glibc)
import Glibc
#endif
import LogReport

/// Reads one decision log (a file or stdin) in chunks and hands each line to a `LogSummary`.
///
/// Gzip data is recognised by its magic bytes (1f 8b), whatever the file is called, and
/// decompressed on the fly (`GzipInflater`). Lines end with LF (a CR before it is ignored by the
/// JSON reader as white space). A line longer than `maxLineLength` is not kept: it is counted as
/// unreadable and skipped to its end, so memory stays bounded whatever the input.
struct LogLineReader {
    static let maxLineLength = 1 << 20
    static let chunkSize = 256 * 1024

    /// Why a log could not be read to its end (the lines before it are counted).
    enum Failure: Error, CustomStringConvertible {
        case cannotOpen(String)
        case cannotRead(String)
        case gzip(GzipInflater.Failure)

        var description: String {
            switch self {
            case .cannotOpen(let why): "cannot open: \(why)"
            case .cannotRead(let why): "cannot read: \(why)"
            case .gzip(let failure): "\(failure)"
            }
        }
    }

    /// Reads `path` (`-` for stdin) into `summary`; `progress`, when given, is told the number
    /// of bytes read so far (as stored: compressed for gzip) after every chunk.
    static func read(path: String, into summary: inout LogSummary, progress: ((Int) -> Void)? = nil) throws(Failure) {
        let descriptor: Int32
        if path == "-" {
            descriptor = 0
        } else {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw .cannotOpen(String(cString: strerror(errno))) }
        }
        defer { if descriptor != 0 { close(descriptor) } }
        var splitter = LogLineSplitter(source: path == "-" ? "stdin" : path)
        var inflater: GzipInflater?
        var isFirstChunk = true
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var bytesRead = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytesRead += count
            progress?(bytesRead)
            let bytes = chunk[0..<count]
            if isFirstChunk {
                isFirstChunk = false
                if count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B {
                    do { inflater = try GzipInflater() } catch { throw .gzip(error) }
                }
            }
            if let inflater {
                do {
                    try inflater.inflate(bytes) { splitter.feed($0, into: &summary) }
                } catch {
                    splitter.finish(into: &summary)
                    throw .gzip(error)
                }
            } else {
                splitter.feed(bytes, into: &summary)
            }
        }
        splitter.finish(into: &summary)
        if let inflater {
            do { try inflater.finish() } catch { throw .gzip(error) }
        }
    }
}
