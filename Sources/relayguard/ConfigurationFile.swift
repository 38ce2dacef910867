#if canImport(Glibc)
import Glibc
#endif
import RelayPolicy

/// The configuration file on disk: finding it on the command line, reading it, parsing it.
///
/// The parser (`ConfigurationParser`, in the pure RelayPolicy module) takes text; this is the
/// I/O around it, shared by `check-config` and (for the lead) `run` and its reloads.
enum ConfigurationFile {
    static let defaultPath = "/etc/relayguard/relayguard.conf"

    /// The path given by `--config PATH`, `--config=PATH` or `-c PATH`, else the default.
    /// Anything else in `arguments` is a usage error.
    static func path(fromArguments arguments: [String], command: String) throws(UsageError) -> String {
        var path: String?
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            var value: String?
            if argument == "--config" || argument == "-c" {
                guard index + 1 < arguments.count else {
                    throw UsageError(message: "\(command): --config needs a PATH")
                }
                value = arguments[index + 1]
                index += 2
            } else if argument.hasPrefix("--config=") {
                value = String(argument.dropFirst("--config=".count))
                index += 1
            } else if argument.hasPrefix("-") {
                throw UsageError(message: "\(command): unknown option '\(argument)'")
            } else {
                throw UsageError(message: "\(command): unexpected argument '\(argument)'")
            }
            guard path == nil else { throw UsageError(message: "\(command): --config given twice") }
            guard let value, !value.isEmpty else { throw UsageError(message: "\(command): --config needs a PATH") }
            path = value
        }
        return path ?? defaultPath
    }

    /// Reads and parses the file at `path`. The failure's description is the text of the
    /// one stderr line after `relayguard: `: `FILE:LINE: what`, or `PATH: cannot read: reason`.
    static func load(path: String) -> Result<Configuration, ConfigurationFileError> {
        let text: String
        switch read(path: path) {
        case .success(let contents): text = contents
        case .failure(let error): return .failure(error)
        }
        do {
            return .success(try ConfigurationParser.parse(text, file: path, defaultHostname: systemHostname()))
        } catch {
            return .failure(.invalid(error))
        }
    }

    /// The whole file as UTF-8 text.
    static func read(path: String) -> Result<String, ConfigurationFileError> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(.unreadable(path: path, reason: errorText(errno))) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.unreadable(path: path, reason: errorText(errno)))
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(.unreadable(path: path, reason: "not UTF-8 text"))
        }
        return .success(text)
    }

    /// The system host name (`gethostname`), the default of `hostname`.
    static func systemHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    private static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
