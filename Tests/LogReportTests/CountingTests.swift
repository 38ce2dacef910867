import Testing
import LogReport

@Suite("Bounded counting")
struct CountingTests {
    @Test("heavy hitters are exact while keys fit")
    func exactUnderCapacity() {
        var counter = HeavyHitters(capacity: 4)
        for key in ["a", "b", "a", "c", "a", "b"] { counter.add(key) }
        #expect(counter.isExact)
        #expect(counter.total == 6)
        #expect(counter.top(10) == [HeavyHitters.Entry(key: "a", count: 3), HeavyHitters.Entry(key: "b", count: 2),
                                    HeavyHitters.Entry(key: "c", count: 1)])
        #expect(counter.top(1).map(\.key) == ["a"])
    }

    @Test("ties are listed in key order")
    func ties() {
        var counter = HeavyHitters(capacity: 4)
        for key in ["d", "b", "c"] { counter.add(key) }
        #expect(counter.top(3).map(\.key) == ["b", "c", "d"])
    }

    @Test("with many more keys than counters, the heavy keys survive with bounded error")
    func heavyKeysSurvive() {
        var counter = HeavyHitters(capacity: 50)
        // 10,000 one-off keys interleaved with three heavy ones.
        for index in 0..<10_000 {
            counter.add("rare-\(index)")
            if index % 10 == 0 { counter.add("heavy-1") }
            if index % 20 == 0 { counter.add("heavy-2") }
            if index % 40 == 0 { counter.add("heavy-3") }
        }
        #expect(!counter.isExact)
        #expect(counter.count == 50)
        let top = counter.top(3)
        #expect(top.map(\.key) == ["heavy-1", "heavy-2", "heavy-3"])
        let truth = ["heavy-1": 1000, "heavy-2": 500, "heavy-3": 250]
        for entry in top {
            let real = truth[entry.key]!
            #expect(entry.count >= real, "never an undercount")
            #expect(entry.count - entry.overcount <= real, "the bound holds")
            #expect(entry.overcount <= counter.total / counter.capacity, "error at most total / capacity")
        }
    }

    @Test("a bounded counter counts the overflow once full")
    func boundedCounter() {
        var counter = BoundedCounter(capacity: 2, initial: 0)
        for key in ["a", "b", "a", "c", "d", "b"] { counter.update(key) { $0 += 1 } }
        #expect(counter.values == ["a": 2, "b": 2])
        #expect(counter.overflow == 2)
    }

    @Test("recent keys forget the oldest first")
    func recentKeys() {
        var recent = RecentKeys(capacity: 2)
        let inserted = ["s1", "s1", "s2", "s3"].map { recent.insert($0) }
        #expect(inserted == [true, false, true, true])
        #expect(!recent.contains("s1"), "s1 is forgotten, the oldest")
        #expect(recent.contains("s2") && recent.contains("s3"))
        let again = recent.insert("s1")
        #expect(again)
    }
}
