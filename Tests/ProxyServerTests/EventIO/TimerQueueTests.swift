import Testing
@testable import ProxyServer
@testable import EventIO

extension IOLayerTests {
    @Suite("TimerQueue")
    struct TimerQueueTests {
        struct Case: CustomStringConvertible, Sendable {
            let description: String
            /// (label, deadline in ns), scheduled in this order.
            let timers: [(String, UInt64)]
            let cancelled: [String]
            let now: UInt64
            let expectedFired: [String]
        }

        static let cases: [Case] = [
            Case(description: "earliest deadline fires first",
                 timers: [("c", 30), ("a", 10), ("b", 20)], cancelled: [], now: 100, expectedFired: ["a", "b", "c"]),
            Case(description: "equal deadlines fire in scheduling order",
                 timers: [("first", 10), ("second", 10), ("third", 10)], cancelled: [], now: 10, expectedFired: ["first", "second", "third"]),
            Case(description: "a cancelled timer never fires",
                 timers: [("a", 10), ("b", 20), ("c", 30)], cancelled: ["b"], now: 100, expectedFired: ["a", "c"]),
            Case(description: "cancelling the earliest keeps the rest in order",
                 timers: [("a", 10), ("b", 20), ("c", 5), ("d", 15)], cancelled: ["c"], now: 100, expectedFired: ["a", "d", "b"]),
            Case(description: "timers not yet due stay pending",
                 timers: [("due", 10), ("later", 50)], cancelled: [], now: 49, expectedFired: ["due"]),
            Case(description: "cancelling everything leaves nothing to fire",
                 timers: [("a", 1), ("b", 2)], cancelled: ["a", "b"], now: 100, expectedFired: []),
        ]

        @Test(arguments: cases)
        func firesDueTimersInOrder(_ testCase: Case) {
            var queue = TimerQueue()
            var fired: [String] = []
            var handles: [String: TimerHandle] = [:]
            for (label, deadline) in testCase.timers {
                handles[label] = queue.schedule(at: .init(nanoseconds: deadline)) { fired.append(label) }
            }
            for label in testCase.cancelled {
                let wasPending = queue.cancel(handles[label]!)
                #expect(wasPending)
            }
            while let action = queue.popExpired(now: .init(nanoseconds: testCase.now)) { action() }
            #expect(fired == testCase.expectedFired)
            #expect(queue.count == testCase.timers.count - testCase.cancelled.count - testCase.expectedFired.count)
        }

        @Test("cancelling a fired or cancelled timer is a no-op")
        func cancelTwice() {
            var queue = TimerQueue()
            let handle = queue.schedule(at: .init(nanoseconds: 1)) {}
            _ = queue.popExpired(now: .init(nanoseconds: 1))
            let afterFiring = queue.cancel(handle)
            let other = queue.schedule(at: .init(nanoseconds: 2)) {}
            let first = queue.cancel(other)
            let second = queue.cancel(other)
            #expect(!afterFiring)
            #expect(first)
            #expect(!second)
            #expect(queue.count == 0)
        }

        @Test("10,000 shuffled timers with every third cancelled pop in deadline order")
        func manyTimers() {
            var queue = TimerQueue()
            var random: UInt64 = 0x9E37_79B9_7F4A_7C15
            var fired: [UInt64] = []
            var handles: [(TimerHandle, UInt64)] = []
            for _ in 0..<10_000 {
                random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let deadline = random >> 40
                handles.append((queue.schedule(at: .init(nanoseconds: deadline)) { fired.append(deadline) }, deadline))
            }
            var kept: [UInt64] = []
            for (index, (handle, deadline)) in handles.enumerated() {
                if index % 3 == 0 { queue.cancel(handle) } else { kept.append(deadline) }
            }
            #expect(queue.count == kept.count)
            while let action = queue.popExpired(now: .init(nanoseconds: .max)) { action() }
            #expect(fired == kept.sorted())
            #expect(queue.count == 0)
        }

        @Test("a timer scheduled during a batch waits for the next batch")
        func firingBarrier() {
            var queue = TimerQueue()
            var fired: [String] = []
            let now = MonotonicClock.Instant(nanoseconds: 100)
            _ = queue.schedule(at: .init(nanoseconds: 50)) {
                fired.append("old")
            }
            let limit = queue.nextID
            _ = queue.schedule(at: .init(nanoseconds: 100)) { fired.append("new") }
            while let action = queue.popExpired(now: now, firingBefore: limit) { action() }
            #expect(fired == ["old"])
            #expect(queue.count == 1)
        }
    }
}
