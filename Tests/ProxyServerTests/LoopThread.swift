// Test harness: runs an event loop on a thread of its own, with a hard deadline.
//
// `onLoopThread` creates the loop on a fresh thread, calls `setup(loop, finish)` there, and runs
// the loop until a test callback calls `finish(outcome)`. If that has not happened by the
// deadline, the loop is stopped and the test fails with `LoopHarnessFailure.deadlineMissed`
// instead of hanging. After `finish`, every handler must have been closed: a socket or listener
// left registered fails the test with `.registrationsLeftOpen`.
import NetworkAddress
import Foundation
import Glibc
import Testing
@testable import ProxyServer
@testable import EventIO

/// Parent of every ProxyServer suite. Why serialized: the suites share the process's descriptor
/// limit (the idle-connection test alone holds 18,000) and its RSS, which that test measures.
@Suite("ProxyServer I/O", .serialized)
enum IOLayerTests {}

enum LoopHarnessFailure: Error, CustomStringConvertible {
    case deadlineMissed(Duration)
    case registrationsLeftOpen(Int)

    var description: String {
        switch self {
        case .deadlineMissed(let deadline): "the loop did not finish within \(deadline)"
        case .registrationsLeftOpen(let count): "\(count) descriptors still registered after finish"
        }
    }
}

func onLoopThread<Outcome: Sendable>(
    deadline: Duration = .seconds(20),
    _ setup: @escaping @Sendable (_ loop: EventLoop, _ finish: @escaping (Outcome) -> Void) throws -> Void
) async throws -> Outcome {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Outcome, any Error>) in
        let thread = Thread {
            continuation.resume(with: Result { try runLoop(deadline: deadline, setup) })
        }
        thread.start()
    }
}

private func runLoop<Outcome>(
    deadline: Duration,
    _ setup: (_ loop: EventLoop, _ finish: @escaping (Outcome) -> Void) throws -> Void
) throws -> Outcome {
    let loop = try EventLoop()
    var outcome: Outcome?
    let deadlineTimer = loop.schedule(after: deadline) { loop.stop() }
    try setup(loop) { value in
        if outcome == nil { outcome = value }
        loop.stop()
    }
    if outcome == nil { loop.run() }
    loop.cancel(deadlineTimer)
    guard let outcome else { throw LoopHarnessFailure.deadlineMissed(deadline) }
    guard loop.registrationCount == 0 else { throw LoopHarnessFailure.registrationsLeftOpen(loop.registrationCount) }
    return outcome
}

/// A loopback listener on a kernel-chosen port.
func loopbackListener(_ host: String = "127.0.0.1", loop: EventLoop, onAccept: @escaping (BufferedConnection) -> Void) throws -> Listener {
    try Listener(address: SocketAddress(IPAddress(host)!, port: 0), loop: loop, onAccept: onAccept)
}

/// `count` bytes of a repeating, position-dependent pattern (so reordering or loss shows).
func patternBytes(_ count: Int) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        for index in 0..<count { buffer[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 8) }
        initialized = count
    }
}

/// Shrinks the kernel's send buffer so that a write of a few hundred KB already comes back
/// partial (loopback otherwise absorbs about 4 MB at once and hides the write queue). Not much
/// smaller: below two 64 KB loopback segments in flight, each ACK waits for the 40 ms delayed-ACK
/// timer and the transfer crawls.
func limitSendBuffer(_ connection: BufferedConnection, bytes: Int32 = 128 * 1024) throws {
    try Socket.setOption(connection.descriptor, level: SOL_SOCKET, name: SO_SNDBUF, value: bytes, call: "setsockopt(SO_SNDBUF)")
}
