// UnixListener: a listening Unix-domain stream socket on the loop (the control socket).
//
// Contract: binds `path` (a stale socket file left by a crash is replaced; any other file at
// that path is an error, never removed), sets its mode, listens, and hands each accepted
// connection to `onAccept` as a `BufferedConnection` whose `peerAddress` is a placeholder
// (a Unix peer has no IP address). `close()` stops listening and removes the socket file.
import Glibc

public final class UnixListener: ReadinessHandler {
    public let path: String
    private let loop: EventLoop
    private var fd: Int32
    public var onAccept: (BufferedConnection) -> Void

    /// What a Unix peer is shown as: it has no address of its own.
    public static let peerPlaceholder = SocketAddress.ipv4(address: 0, port: 0)

    public init(path: String, mode: mode_t, loop: EventLoop, onAccept: @escaping (BufferedConnection) -> Void) throws(SocketError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { throw SocketError.system(call: "bind \(path) (path too long)", errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() { raw[index] = byte }
        }
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw SocketError.system(call: "bind \(path) (a file that is not a socket is there)", errno: EEXIST)
            }
            // A socket someone still answers on is another process's: never taken over.
            guard !Self.answers(&address) else {
                throw SocketError.system(call: "bind \(path) (another process listens there)", errno: EADDRINUSE)
            }
            unlink(path)
        }
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = Glibc.socket(AF_UNIX, type, 0)
        guard fd >= 0 else { throw SocketError.lastError("socket(AF_UNIX)") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            let error = SocketError.lastError("bind \(path)")
            Socket.close(fd)
            throw error
        }
        guard chmod(path, mode) == 0, Glibc.listen(fd, 16) == 0 else {
            let error = SocketError.lastError("listen \(path)")
            Socket.close(fd)
            unlink(path)
            throw error
        }
        self.path = path
        self.loop = loop
        self.fd = fd
        self.onAccept = onAccept
        do {
            try loop.register(fd, interest: .readable, handler: self)
        } catch {
            Socket.close(fd)
            unlink(path)
            throw error
        }
    }

    public var isOpen: Bool { fd >= 0 }

    /// Whether a process accepts connections on the socket at `address` (a blocking connect to
    /// a local socket: it answers or fails at once).
    private static func answers(_ address: inout sockaddr_un) -> Bool {
        let probe = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { return false }
        defer { Socket.close(probe) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0
    }

    public func close() {
        guard fd >= 0 else { return }
        loop.deregister(fd, closing: true)
        Socket.close(fd)
        fd = -1
        unlink(path)
    }

    public func handleReadiness(_ events: IOEvents) {
        while fd >= 0 {
            let client = LinuxSystemCalls.accept4(fd, nil, nil, LinuxSystemCalls.nonBlocking | LinuxSystemCalls.closeOnExec)
            guard client >= 0 else { return }  // EAGAIN, or a failure the next readiness retries
            guard let connection = try? BufferedConnection(connectedFD: client, peer: Self.peerPlaceholder, loop: loop, tcp: false)
            else { continue }
            onAccept(connection)
        }
    }
}
