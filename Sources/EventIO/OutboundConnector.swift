// OutboundConnector: a non-blocking TCP connect with a deadline on the loop.
//
// Contract: `connect(to:timeout:loop:completion:)` starts connecting and returns at once; the
// completion runs exactly once on the loop thread, on a later turn, with a registered
// BufferedConnection or a SocketError (`.system(call: "connect", errno: ECONNREFUSED)`,
// `.timedOut(call: "connect")`, ...). `cancel()` abandons the attempt: the socket is closed and
// the completion is never called. Addresses are numeric (resolving names would block the loop).
//
// Why EPOLLOUT + SO_ERROR: a non-blocking connect answers EINPROGRESS; the socket becomes
// writable when the handshake ends either way, and SO_ERROR tells which way.
import Glibc

public final class OutboundConnector: ReadinessHandler {
    public typealias Completion = (Result<BufferedConnection, SocketError>) -> Void

    public let loop: EventLoop
    public let address: SocketAddress

    private var fd: Int32 = -1
    private var completion: Completion?
    private var timer: TimerHandle?

    private init(address: SocketAddress, loop: EventLoop, completion: @escaping Completion) {
        self.address = address
        self.loop = loop
        self.completion = completion
    }

    /// Starts connecting to `address`; see the file comment for the completion's contract.
    @discardableResult
    public static func connect(
        to address: SocketAddress,
        timeout: Duration,
        loop: EventLoop,
        completion: @escaping Completion
    ) -> OutboundConnector {
        let connector = OutboundConnector(address: address, loop: loop, completion: completion)
        connector.start(timeout: timeout)
        return connector
    }

    /// True until the completion has run or the attempt was cancelled.
    public var isPending: Bool { completion != nil }

    public func cancel() {
        completion = nil
        releaseSocket(closing: true)
    }

    public func handleReadiness(_ events: IOEvents) {
        let code = Socket.pendingError(fd)
        if code != 0 {
            finish(.failure(.system(call: "connect", errno: code)))
        } else if events.contains(.writable) {
            succeed()
        } else if !events.isDisjoint(with: [.hangup, .error]) {
            finish(.failure(.system(call: "connect", errno: ECONNRESET)))
        }
    }

    private func start(timeout: Duration) {
        let fd: Int32
        do {
            fd = try Socket.makeStream(family: address.family)
        } catch {
            finishSoon(.failure(error))
            return
        }
        self.fd = fd
        let result = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if result == 0 {  // loopback may connect at once
            loop.runSoon { [self] in if isPending { succeed() } }
            return
        }
        let code = errno
        guard code == EINPROGRESS || code == EINTR else {
            finishSoon(.failure(.system(call: "connect", errno: code)))
            return
        }
        do {
            try loop.register(fd, interest: .writable, handler: self)
        } catch {
            finishSoon(.failure(error))
            return
        }
        timer = loop.schedule(after: timeout) { [self] in
            timer = nil
            finish(.failure(.timedOut(call: "connect")))
        }
    }

    private func succeed() {
        let connectedFD = fd
        releaseSocket(closing: false)
        do {
            finish(.success(try BufferedConnection(connectedFD: connectedFD, peer: address, loop: loop)))
        } catch {
            finish(.failure(error))
        }
    }

    /// Reports on a later turn: the caller of `connect` never sees its completion run inside `connect`.
    private func finishSoon(_ result: Result<BufferedConnection, SocketError>) {
        loop.runSoon { [self] in finish(result) }
    }

    private func finish(_ result: Result<BufferedConnection, SocketError>) {
        releaseSocket(closing: true)
        guard let completion else {
            if case .success(let connection) = result { connection.close() }
            return
        }
        self.completion = nil
        completion(result)
    }

    /// Stops the timer and the registration; closes the socket unless it now belongs to a connection.
    private func releaseSocket(closing: Bool) {
        if let timer { loop.cancel(timer) }
        timer = nil
        guard fd >= 0 else { return }
        loop.deregister(fd, closing: closing)
        if closing { Socket.close(fd) }
        fd = -1
    }
}
