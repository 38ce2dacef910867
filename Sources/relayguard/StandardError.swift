#if canImport(Glibc)
import Glibc
#endif

/// Writing to stderr (file descriptor 2), where every error line goes (`relayguard: ...`).
enum StandardError {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    static func line(_ text: String) {
        write(text + "\n")
    }
}
