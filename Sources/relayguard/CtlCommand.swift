#if canImport(Glibc)
import Glibc
#endif

/// `relayguard ctl [--socket PATH] COMMAND`: one request to a running relayguard over its
/// control socket, the reply printed as it comes. Commands: `blocks`, `unblock ADDR|all`,
/// `block ADDR DURATION`, `stats`, `zones`, `sessions`.
///
/// Exit 0 when the reply ends in `ok`; 1 when it is an error (printed on stderr) or the daemon
/// cannot be reached; 2 for a usage error. A short-lived client: blocking calls are fine here.
enum CtlCommand {
    static let defaultSocket = "/run/relayguard/control"
    static let usage = "usage: relayguard ctl [--socket PATH] blocks | unblock ADDR|all | block ADDR DURATION | stats | zones | sessions"

    @Sendable static func run(_ arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return ExitStatus.success
        }
        var socketPath = defaultSocket
        var words: [String] = []
        var index = 0
        while index < arguments.count {
            if arguments[index] == "--socket" {
                guard index + 1 < arguments.count else {
                    StandardError.line("relayguard: ctl: --socket needs a path")
                    StandardError.line(usage)
                    return ExitStatus.usage
                }
                socketPath = arguments[index + 1]
                index += 2
            } else {
                words.append(arguments[index])
                index += 1
            }
        }
        guard !words.isEmpty else {
            StandardError.line(usage)
            return ExitStatus.usage
        }
        switch exchange(socketPath, request: words.joined(separator: " ")) {
        case .failure(let why):
            StandardError.line("relayguard: ctl: \(socketPath): \(why)")
            return ExitStatus.problem
        case .success(let reply):
            let lines = reply.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
            if let last = lines.last, last == "ok" {
                for line in lines.dropLast() { print(line) }
                return ExitStatus.success
            }
            for line in lines { StandardError.line("relayguard: ctl: \(line)") }
            return ExitStatus.problem
        }
    }

    /// Sends one request line and reads the reply until the daemon closes.
    static func exchange(_ path: String, request: String) -> Result<String, CtlError> {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(CtlError(errno)) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return .failure(CtlError(ENAMETOOLONG)) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (offset, byte) in bytes.enumerated() { raw[offset] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return .failure(CtlError(errno)) }
        let line = Array((request + "\n").utf8)
        guard line.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == line.count else {
            return .failure(CtlError(errno))
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else { return .failure(CtlError(errno)) }
            reply += buffer[0..<count]
        }
        return .success(String(decoding: reply, as: UTF8.self))
    }
}

/// Why the daemon could not be asked.
struct CtlError: Error, CustomStringConvertible {
    var code: Int32
    init(_ code: Int32) { self.code = code }
    var description: String { String(cString: strerror(code)) }
}
