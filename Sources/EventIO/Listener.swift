// Listener: a listening TCP socket that turns each new client into a BufferedConnection.
//
// Contract:
// - `init` binds and listens at once (SO_REUSEADDR; IPV6_V6ONLY on IPv6 sockets so `0.0.0.0:25`
//   and `[::]:25` can both be bound; backlog 4096 unless told otherwise) and starts accepting on
//   the loop. `address` is the bound address, with the real port when asked for port 0.
// - On each readable report it calls accept4 (non-blocking, close-on-exec) until EAGAIN and hands
//   every client to `onAccept` as a registered BufferedConnection, whose `peerAddress` is the
//   client (IPv4-mapped shown as IPv4). Set the connection's callbacks inside `onAccept`.
// - Each client socket gets a send buffer of `clientSendBufferBytes` (SO_SNDBUF; the kernel
//   doubles it for its bookkeeping), so the replies owed to a client that does not read pin at
//   most that much kernel memory; without it loopback and LAN sockets grow to megabytes.
// - Per-client failures (the client reset before accept, ECONNABORTED, EPERM from a firewall)
//   are skipped. When the process or system is out of descriptors or memory (EMFILE, ENFILE,
//   ENOBUFS, ENOMEM) accepting pauses for `acceptRetryDelay` and `onAcceptError` is told.
// - `hold()` stops accepting until `release()` (the proxy holds its listeners while the decision
//   log's writer catches up); clients wait in the kernel's queue meanwhile. A hold outlasts an
//   EMFILE pause: the retry timer does not resume a held listener.
// - `close()` stops listening, idempotent; connections already accepted are not affected.
//
// Why pause on EMFILE: the pending client stays in the kernel's queue, so a level-triggered loop
// would report the listener readable again on every turn and spin at 100% CPU. Pausing lets
// closing sessions free descriptors; the queued clients are accepted when accepting resumes.
import Glibc

public final class Listener: ReadinessHandler {
    public static let defaultBacklog: Int32 = 4096

    /// Called with every accepted client.
    public var onAccept: (BufferedConnection) -> Void
    /// Called when accepting pauses for lack of resources, or accept fails unexpectedly.
    public var onAcceptError: ((SocketError) -> Void)?
    /// How long accepting pauses after EMFILE and friends.
    public var acceptRetryDelay: Duration = .milliseconds(100)
    /// SO_SNDBUF of every accepted client (nil: the kernel's autotuning). Replies to a client are
    /// small; a client that reads them never needs more.
    public var clientSendBufferBytes: Int32? = Listener.defaultClientSendBufferBytes
    public static let defaultClientSendBufferBytes: Int32 = 64 * 1024

    public let loop: EventLoop
    /// The bound address (with the kernel's port when port 0 was asked for).
    public let address: SocketAddress

    private var fd: Int32
    private var retryTimer: TimerHandle?
    private var held = false
    /// accept4 itself; tests substitute a failing one to exercise the EMFILE back-off.
    var acceptCall: LinuxSystemCalls.Accept4 = LinuxSystemCalls.accept4

    public init(
        address requested: SocketAddress,
        backlog: Int32 = Listener.defaultBacklog,
        loop: EventLoop,
        onAccept: @escaping (BufferedConnection) -> Void
    ) throws(SocketError) {
        let fd = try Socket.makeStream(family: requested.family)
        do throws(SocketError) {
            try Socket.setOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, call: "setsockopt(SO_REUSEADDR)")
            if requested.isIPv6 {
                try Socket.setOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 1, call: "setsockopt(IPV6_V6ONLY)")
            }
            let bound = requested.withSockAddr { Glibc.bind(fd, $0, $1) }
            guard bound == 0 else { throw SocketError.lastError("bind \(requested)") }
            guard Glibc.listen(fd, backlog) == 0 else { throw SocketError.lastError("listen \(requested)") }
        } catch {
            Socket.close(fd)
            throw error
        }
        self.fd = fd
        self.address = Socket.localAddress(fd) ?? requested
        self.loop = loop
        self.onAccept = onAccept
        do {
            try loop.register(fd, interest: .readable, handler: self)
        } catch {
            Socket.close(fd)
            throw error
        }
    }

    public var isOpen: Bool { fd >= 0 }
    public var isAcceptingPaused: Bool { retryTimer != nil || held }

    /// Stops accepting until `release()`; idempotent.
    public func hold() {
        guard isOpen, !held else { return }
        held = true
        try? loop.modify(fd, interest: [])
    }

    /// Accepts again after `hold()` (at once, unless an EMFILE pause is still running).
    public func release() {
        guard isOpen, held else { return }
        held = false
        if retryTimer == nil { try? loop.modify(fd, interest: .readable) }
    }

    public func close() {
        guard isOpen else { return }
        if let retryTimer { loop.cancel(retryTimer) }
        retryTimer = nil
        loop.deregister(fd)
        Socket.close(fd)
        fd = -1
    }

    public func handleReadiness(_ events: IOEvents) {
        while isOpen, retryTimer == nil, !held {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    acceptCall(fd, $0, &length, LinuxSystemCalls.nonBlocking | LinuxSystemCalls.closeOnExec)
                }
            }
            if client >= 0 {
                deliver(client, peer: SocketAddress(storage: storage))
                continue
            }
            let code = errno
            switch code {
            case EAGAIN, EWOULDBLOCK:
                return
            case EINTR, ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH:
                continue  // this client is gone or refused; the next one may be fine
            default:
                // EMFILE, ENFILE, ENOBUFS, ENOMEM and anything unexpected: back off, do not spin.
                pauseAccepting()
                onAcceptError?(.system(call: "accept4", errno: code))
                return
            }
        }
    }

    private func deliver(_ client: Int32, peer: SocketAddress?) {
        guard let peer else {  // not IPv4/IPv6: cannot happen on a TCP listener
            Socket.close(client)
            return
        }
        if let bytes = clientSendBufferBytes {
            // Best effort: a socket that refuses it still works, with the kernel's default.
            var value = bytes
            _ = setsockopt(client, SOL_SOCKET, SO_SNDBUF, &value, socklen_t(MemoryLayout<Int32>.size))
        }
        do {
            onAccept(try BufferedConnection(connectedFD: client, peer: peer, loop: loop))
        } catch {
            onAcceptError?(error)
        }
    }

    private func pauseAccepting() {
        do {
            try loop.modify(fd, interest: [])
        } catch {
            // Still registered with EPOLLIN: the retry timer below bounds the damage to one
            // accept attempt per turn, which the guard in handleReadiness already prevents.
        }
        retryTimer = loop.schedule(after: acceptRetryDelay) { [weak self] in
            guard let self, self.isOpen else { return }
            self.retryTimer = nil
            if !self.held { try? self.loop.modify(self.fd, interest: .readable) }
        }
    }
}
