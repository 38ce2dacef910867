// Socket: thin, errno-checked wrappers over the socket calls the I/O layer shares.
//
// Contract: every function works on a raw descriptor the caller owns; failures come back as
// `SocketError.system(call:errno:)`. New sockets are always non-blocking and close-on-exec.
import Glibc

public enum Socket {
    /// A non-blocking, close-on-exec TCP socket for `family` (AF_INET or AF_INET6).
    static func makeStream(family: Int32) throws(SocketError) -> Int32 {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = Glibc.socket(family, type, 0)
        guard fd >= 0 else { throw SocketError.lastError("socket") }
        return fd
    }

    static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32, call: String) throws(SocketError) {
        var value = value
        guard setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SocketError.lastError(call)
        }
    }

    /// The pending error (SO_ERROR) of `fd`, cleared by reading it; 0 when there is none.
    static func pendingError(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return Glibc.errno }
        return code
    }

    /// Bytes the kernel still holds for sending on `fd`, sent or not, until the peer has
    /// acknowledged them (SIOCOUTQ); 0 when it cannot say.
    static func unsentBytes(_ fd: Int32) -> Int {
        var count: Int32 = 0
        // SIOCOUTQ is TIOCOUTQ, 0x5411, on Linux; Glibc's headers name it only for terminals.
        guard ioctl(fd, UInt(0x5411), &count) == 0 else { return 0 }
        return Int(count)
    }

    static func localAddress(_ fd: Int32) -> SocketAddress? {
        address(fd, getsockname)
    }

    static func peerAddress(_ fd: Int32) -> SocketAddress? {
        address(fd, getpeername)
    }

    /// Closes `fd`. Why no EINTR retry: on Linux the descriptor is released even when close
    /// reports EINTR, and retrying could close a descriptor another part of the loop just opened.
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    private static func address(
        _ fd: Int32,
        _ call: (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?) -> Int32
    ) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, &length) }
        }
        return result == 0 ? SocketAddress(storage: storage) : nil
    }
}
