import Foundation
import Glibc
import Testing
@testable import ProxyServer
@testable import EventIO

/// Resident set size of this process, from /proc/self/statm.
private func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// malloc_usable_size (not exported by the Glibc module) of an object's heap block.
private func heapBlockSize(of object: AnyObject) -> Int {
    typealias UsableSize = @convention(c) (UnsafeMutableRawPointer?) -> Int
    guard let symbol = dlsym(nil, "malloc_usable_size") else { return .max }
    return unsafeBitCast(symbol, to: UsableSize.self)(Unmanaged.passUnretained(object).toOpaque())
}

extension IOLayerTests {
    @Suite("Idle connection memory")
    struct IdleConnectionMemoryTests {
        struct Outcome: Sendable {
            var accepted = 0
            var residentBefore = 0
            var residentAfter = 0
            /// The heap block of one BufferedConnection, as malloc sized it.
            var objectBytes = 0
            var bytesPerConnection: Int { accepted == 0 ? .max : (residentAfter - residentBefore) / accepted }
        }

        /// Why 9,000: both ends live in this process and the hard descriptor limit is 20,000.
        /// The client ends are bare descriptors, so the RSS growth is the server side: one
        /// BufferedConnection, its slot in the loop's table and the array reference per client.
        @Test("9,000 idle accepted connections cost under 2 KB of RSS each")
        func nineThousandIdleConnections() async throws {
            let target = 9_000
            let outcome: Outcome = try await onLoopThread(deadline: .seconds(60)) { loop, finish in
                var outcome = Outcome()
                var accepted: [BufferedConnection] = []
                var clients: [Int32] = []
                var listener: Listener!
                func connectNextBatch() {
                    guard clients.count < target else {
                        outcome.accepted = accepted.count
                        outcome.residentAfter = residentBytes()
                        accepted.forEach { $0.close() }
                        clients.forEach(Socket.close)
                        listener.close()
                        finish(outcome)
                        return
                    }
                    for _ in 0..<min(500, target - clients.count) {  // stay well under the backlog
                        guard let fd = try? Socket.makeStream(family: AF_INET) else { break }
                        clients.append(fd)
                        _ = listener.address.withSockAddr { connect(fd, $0, $1) }
                    }
                }
                listener = try loopbackListener(loop: loop) { connection in
                    connection.onRead = { _ in }
                    if accepted.isEmpty {
                        outcome.objectBytes = heapBlockSize(of: connection)
                    }
                    accepted.append(connection)
                    if accepted.count == clients.count { connectNextBatch() }
                }
                accepted.reserveCapacity(target)
                clients.reserveCapacity(target)
                outcome.residentBefore = residentBytes()
                connectNextBatch()
            }
            print("idle connections: \(outcome.accepted), RSS before \(outcome.residentBefore / 1024) KiB, after \(outcome.residentAfter / 1024) KiB, \(outcome.bytesPerConnection) bytes per accepted connection; BufferedConnection object \(outcome.objectBytes) bytes")
            #expect(outcome.accepted == target)
            #expect(outcome.bytesPerConnection < 2048)
            #expect(outcome.objectBytes <= 256)
        }
    }
}
