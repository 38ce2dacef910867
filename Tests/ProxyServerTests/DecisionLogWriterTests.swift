import EventIO
import DecisionLog
import Foundation
import Glibc
import Synchronization
import Testing
@testable import ProxyServer

extension IOLayerTests {
    @Suite("Decision log writer")
    struct DecisionLogWriterTests {
        /// Reads a pipe on a thread of its own until it has seen `lines` newlines; returns the text.
        final class PipeReader: Sendable {
            let fd: Int32
            let lines: Int
            private let done = Mutex<String?>(nil)
            private let finished = DispatchSemaphore(value: 0)

            init(fd: Int32, lines: Int) {
                self.fd = fd
                self.lines = lines
            }

            func start() {
                Thread { [self] in
                    var bytes: [UInt8] = []
                    var seen = 0
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    while seen < lines {
                        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                        if count <= 0 { break }
                        bytes += buffer[..<count]
                        seen += buffer[..<count].filter { $0 == 0x0A }.count
                    }
                    done.withLock { $0 = String(decoding: bytes, as: UTF8.self) }
                    finished.signal()
                }.start()
            }

            func text() -> String {
                finished.wait()
                return done.withLock { $0 ?? "" }
            }
        }

        struct Outcome: Sendable {
            var behindAfterWriting: Bool
            var changes: [Bool]
        }

        @Test("a stalled reader: behind past the high mark, caught up at the low mark, every record kept in order")
        func stalledReader() async throws {
            var ends: [Int32] = [0, 0]
            #expect(pipe(&ends) == 0)
            defer { Glibc.close(ends[0]) }
            // The writer opens its own descriptor for the pipe's write end (a "file" that blocks).
            let writer = try DecisionLogWriter(.file("/proc/self/fd/\(ends[1])"))
            Glibc.close(ends[1])
            writer.highWaterBytes = 256 * 1024
            writer.lowWaterBytes = 64 * 1024
            let records = 10_000
            let reader = PipeReader(fd: ends[0], lines: records)
            let outcome: Outcome = try await onLoopThread { loop, finish in
                writer.attach(to: loop)
                var changes: [Bool] = []
                var behindAfterWriting = false
                writer.onBehindChange = { behind in
                    changes.append(behind)
                    if !behind { finish(Outcome(behindAfterWriting: behindAfterWriting, changes: changes)) }
                }
                for number in 0..<records {
                    writer.write(DecisionRecord(timestamp: Timestamp(millisecondsSinceEpoch: 0), session: String(number), event: .command))
                }
                writer.flush()
                behindAfterWriting = writer.isBehind
                // Nobody has read the pipe yet: the writer thread is stuck with ~64 KiB written.
                reader.start()
            }
            #expect(outcome.behindAfterWriting)
            #expect(outcome.changes == [true, false], "one episode: behind, then caught up")
            #expect(writer.unwrittenBytes <= writer.lowWaterBytes)
            writer.drain()
            let lines = reader.text().split(separator: "\n")
            #expect(lines.count == records, "no record dropped")
            let sessions = lines.compactMap { line in
                line.firstRange(of: "\"session\":\"").map { line[$0.upperBound...].prefix { $0 != "\"" } }
            }.compactMap { Int($0) }
            #expect(sessions == Array(0..<records), "every record, in order")
        }

        @Test("below the high mark the writer is never behind")
        func fastReader() async throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("decisions-\(UUID()).jsonl").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let writer = try DecisionLogWriter(.file(path))
            let changes: [Bool] = try await onLoopThread { loop, finish in
                writer.attach(to: loop)
                var changes: [Bool] = []
                writer.onBehindChange = { changes.append($0) }
                for number in 0..<1000 {
                    writer.write(DecisionRecord(timestamp: Timestamp(millisecondsSinceEpoch: 0), session: String(number), event: .command))
                }
                writer.flush()
                loop.runSoon { finish(changes) }
            }
            writer.drain()
            #expect(changes.isEmpty)
            #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 1000)
        }
    }
}
