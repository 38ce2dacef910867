import Foundation
import Testing
@testable import ProxyServer
@testable import EventIO

extension IOLayerTests {
    @Suite("EventLoop")
    struct EventLoopTests {
        @Test("timers fire in deadline order and cancelled timers never fire")
        func timerOrder() async throws {
            let fired: [String] = try await onLoopThread { loop, finish in
                var fired: [String] = []
                var late: TimerHandle?
                loop.schedule(after: .milliseconds(30)) { fired.append("c") }
                loop.schedule(after: .milliseconds(10)) {
                    fired.append("a")
                    loop.cancel(late!)  // cancelled by another timer's callback
                }
                loop.schedule(after: .milliseconds(20)) { fired.append("b") }
                let early = loop.schedule(after: .milliseconds(15)) { fired.append("cancelled early") }
                late = loop.schedule(after: .milliseconds(25)) { fired.append("cancelled late") }
                loop.cancel(early)
                loop.schedule(after: .milliseconds(60)) { finish(fired) }
            }
            #expect(fired == ["a", "b", "c"])
        }

        @Test("a timer never fires before its deadline")
        func notEarly() async throws {
            let waited: Duration = try await onLoopThread { loop, finish in
                let start = loop.now()
                loop.schedule(after: .milliseconds(25)) { finish(start.duration(to: loop.now())) }
            }
            #expect(waited >= .milliseconds(25))
        }

        @Test("10,000 timers are scheduled and fired by the loop, cancelled ones never")
        func tenThousandTimers() async throws {
            struct Outcome: Sendable { var fired = 0; var firedCancelled = 0; var outOfOrder = 0; var early = 0 }
            let outcome: Outcome = try await onLoopThread { loop, finish in
                var outcome = Outcome()
                var lastDeadline = MonotonicClock.Instant(nanoseconds: 0)
                let start = loop.now()
                var handles: [TimerHandle] = []
                for index in 0..<10_000 {
                    let deadline = start.advanced(by: .microseconds((index * 7_919) % 100_000))
                    let cancelled = index % 10 == 0
                    handles.append(loop.schedule(at: deadline) {
                        if cancelled { outcome.firedCancelled += 1 }
                        outcome.fired += 1
                        if deadline < lastDeadline { outcome.outOfOrder += 1 }
                        if loop.now() < deadline { outcome.early += 1 }
                        lastDeadline = deadline
                    })
                }
                for index in stride(from: 0, to: 10_000, by: 10) { loop.cancel(handles[index]) }
                loop.schedule(after: .milliseconds(150)) {
                    finish(outcome)
                }
            }
            #expect(outcome.fired == 9_000)
            #expect(outcome.firedCancelled == 0)
            #expect(outcome.outOfOrder == 0)
            #expect(outcome.early == 0)
        }

        @Test("a timer rescheduling itself with zero delay does not starve other work")
        func zeroDelayChain() async throws {
            let turns: Int = try await onLoopThread(deadline: .seconds(5)) { loop, finish in
                var turns = 0
                func again() {
                    turns += 1
                    loop.schedule(after: .zero) { again() }
                }
                again()
                let bound = LoopBound({ finish(turns) }, on: loop)
                let remote = loop.remote
                Thread { remote.execute { bound.value() } }.start()
            }
            #expect(turns >= 1)
        }

        @Test("jobs from another thread run on the loop thread in order")
        func remoteExecute() async throws {
            final class Inbox { var values: [Int] = []; var offThread = 0 }
            let values: [Int] = try await onLoopThread { loop, finish in
                let inbox = LoopBound(Inbox(), on: loop)
                let done = LoopBound(finish, on: loop)
                let remote = loop.remote
                Thread {
                    for value in 0..<100 {
                        remote.execute {
                            if !remote.isLoopThread { inbox.value.offThread += 1 }
                            inbox.value.values.append(value)
                            if value == 99 { done.value(inbox.value.offThread == 0 ? inbox.value.values : []) }
                        }
                    }
                }.start()
            }
            #expect(values == Array(0..<100))
        }

        @Test("remote.stop from another thread makes run return")
        func remoteStop() async throws {
            let returned: Bool = try await withCheckedThrowingContinuation { continuation in
                Thread {
                    do {
                        let loop = try EventLoop()
                        let remote = loop.remote
                        var deadlineHit = false
                        let deadline = loop.schedule(after: .seconds(10)) { deadlineHit = true; loop.stop() }
                        Thread { remote.stop() }.start()
                        loop.run()
                        loop.cancel(deadline)
                        continuation.resume(returning: !deadlineHit)
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }.start()
            }
            #expect(returned)
        }

        @Test("runSoon jobs run after the current callback, in order")
        func runSoonOrder() async throws {
            let order: [String] = try await onLoopThread { loop, finish in
                var order: [String] = []
                loop.schedule(after: .zero) {
                    loop.runSoon { order.append("soon 1") }
                    loop.runSoon {
                        order.append("soon 2")
                        finish(order)
                    }
                    order.append("timer")
                }
            }
            #expect(order == ["timer", "soon 1", "soon 2"])
        }
    }
}
