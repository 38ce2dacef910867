import TestSupport
import NetworkAddress
import Foundation
import Testing
@testable import RelayPolicy

@Suite("Client key")
struct ClientKeyTests {
    struct KeyCase: Sendable, CustomTestStringConvertible {
        var name: String
        var client: String
        var prefix: Int
        var key: String
        var testDescription: String { name }
    }

    static let cases: [KeyCase] = [
        .init(name: "IPv4 is the address itself", client: "203.0.113.5", prefix: 64, key: "203.0.113.5"),
        .init(name: "IPv4 ignores the IPv6 prefix", client: "203.0.113.5", prefix: 8, key: "203.0.113.5"),
        .init(name: "IPv4-mapped IPv6 is the IPv4 address", client: "::ffff:203.0.113.5", prefix: 64, key: "203.0.113.5"),
        .init(name: "IPv4-mapped, long spelling", client: "0:0:0:0:0:ffff:cb00:7105", prefix: 48, key: "203.0.113.5"),
        .init(name: "IPv6 /64 clears the interface id", client: "2001:db8:1:2:a:b:c:d", prefix: 64, key: "2001:db8:1:2::/64"),
        .init(name: "IPv6 /48", client: "2001:db8:1:2:a:b:c:d", prefix: 48, key: "2001:db8:1::/48"),
        .init(name: "IPv6 /56 cuts inside a group", client: "2001:db8:1:2ff:a:b:c:d", prefix: 56, key: "2001:db8:1:200::/56"),
        .init(name: "IPv6 /1", client: "ffff::1", prefix: 1, key: "8000::/1"),
        .init(name: "IPv6 /96", client: "2001:db8::1:2:3:4", prefix: 96, key: "2001:db8::1:2:0:0/96"),
        .init(name: "IPv6 /100 cuts inside the low half", client: "2001:db8::1:2:3fff:4", prefix: 100, key: "2001:db8::1:2:3000:0/100"),
        .init(name: "IPv6 /128 is the address", client: "2001:db8::1", prefix: 128, key: "2001:db8::1"),
        .init(name: "loopback ::1 per /64", client: "::1", prefix: 64, key: "::/64"),
    ]

    @Test("keys", arguments: cases)
    func keyOf(_ testCase: KeyCase) {
        let key = ClientKey(IPAddress(testCase.client)!, ipv6PrefixLength: testCase.prefix)
        #expect(key.description == testCase.key)
    }

    @Test("two addresses of one /64 are one client; the next /64 is another")
    func sameNetwork() {
        let a = ClientKey(IPAddress("2001:db8:0:7::1")!, ipv6PrefixLength: 64)
        let b = ClientKey(IPAddress("2001:db8:0:7:ffff::99")!, ipv6PrefixLength: 64)
        let c = ClientKey(IPAddress("2001:db8:0:8::1")!, ipv6PrefixLength: 64)
        #expect(a == b)
        #expect(a != c)
    }

    @Test("an IPv4 address and an IPv6 network with the same bits are different clients")
    func familiesDiffer() {
        let v4 = ClientKey(IPAddress("0.0.0.1")!, ipv6PrefixLength: 128)
        let v6 = ClientKey(IPAddress("::1")!, ipv6PrefixLength: 128)
        #expect(v4 != v6)
    }

    @Test("a key is 24 bytes: tables hold many")
    func size() {
        #expect(MemoryLayout<ClientKey>.stride == 24)
    }
}

@Suite("Client refusal table")
struct ClientRefusalTableTests {
    static func key(_ text: String, prefix: Int = 64) -> ClientKey {
        ClientKey(IPAddress(text)!, ipv6PrefixLength: prefix)
    }

    static func at(_ seconds: Int) -> ManualInstant { ManualInstant.start.advanced(by: .seconds(seconds)) }

    @Test("refusals add up across sessions; the one that reaches the limit says block, then the count starts again")
    func countsToTheLimit() {
        var table = ClientRefusalTable<ManualInstant>(limit: 3, window: .seconds(3600))
        let client = Self.key("203.0.113.5")
        #expect(table.countRefusal(client, now: Self.at(0)) == .counted(1))
        #expect(table.countRefusal(client, now: Self.at(10)) == .counted(2))
        #expect(table.refusals(of: client, now: Self.at(10)) == 2)
        #expect(table.countRefusal(client, now: Self.at(20)) == .limitReached)
        #expect(table.refusals(of: client, now: Self.at(20)) == 0, "the block takes over; the count is dropped")
        #expect(table.count == 0)
        #expect(table.countRefusal(client, now: Self.at(30)) == .counted(1))
    }

    @Test("each client has its own count")
    func separateClients() {
        var table = ClientRefusalTable<ManualInstant>(limit: 2, window: .seconds(60))
        #expect(table.countRefusal(Self.key("192.0.2.1"), now: Self.at(0)) == .counted(1))
        #expect(table.countRefusal(Self.key("192.0.2.2"), now: Self.at(0)) == .counted(1))
        #expect(table.countRefusal(Self.key("192.0.2.1"), now: Self.at(1)) == .limitReached)
        #expect(table.refusals(of: Self.key("192.0.2.2"), now: Self.at(1)) == 1)
    }

    @Test("the window opens at the first refusal; refusals after it has closed start a new one")
    func windowExpiry() {
        var table = ClientRefusalTable<ManualInstant>(limit: 3, window: .seconds(100))
        let client = Self.key("198.51.100.7")
        #expect(table.countRefusal(client, now: Self.at(0)) == .counted(1))
        #expect(table.countRefusal(client, now: Self.at(99)) == .counted(2), "still inside the window")
        #expect(table.refusals(of: client, now: Self.at(100)) == 0, "the window is closed at exactly its length")
        #expect(table.countRefusal(client, now: Self.at(100)) == .counted(1), "a new window, counted from one")
        #expect(table.countRefusal(client, now: Self.at(150)) == .counted(2))
        #expect(table.countRefusal(client, now: Self.at(199)) == .limitReached)
    }

    @Test("a slow harvester (one refusal per window) is never blocked; a fast one is")
    func slowAndFast() {
        var table = ClientRefusalTable<ManualInstant>(limit: 5, window: .seconds(60))
        let slow = Self.key("192.0.2.10"), fast = Self.key("192.0.2.11")
        for minute in 0..<20 {
            #expect(table.countRefusal(slow, now: Self.at(minute * 61)) == .counted(1))
        }
        let verdicts = (0..<5).map { table.countRefusal(fast, now: Self.at($0)) }
        #expect(verdicts == [.counted(1), .counted(2), .counted(3), .counted(4), .limitReached])
    }

    @Test("IPv6 clients count per prefix: fresh addresses in one /64 add up")
    func ipv6PerPrefix() {
        var table = ClientRefusalTable<ManualInstant>(limit: 3, window: .seconds(3600))
        #expect(table.countRefusal(Self.key("2001:db8:5:6::1"), now: Self.at(0)) == .counted(1))
        #expect(table.countRefusal(Self.key("2001:db8:5:6::2"), now: Self.at(1)) == .counted(2))
        #expect(table.countRefusal(Self.key("2001:db8:5:7::1"), now: Self.at(2)) == .counted(1), "another /64")
        #expect(table.countRefusal(Self.key("2001:db8:5:6:dead:beef:0:1"), now: Self.at(3)) == .limitReached)
    }

    @Test("IPv4-mapped IPv6 and IPv4 are one client")
    func mappedIsIPv4() {
        var table = ClientRefusalTable<ManualInstant>(limit: 2, window: .seconds(3600))
        #expect(table.countRefusal(Self.key("::ffff:192.0.2.9"), now: Self.at(0)) == .counted(1))
        #expect(table.countRefusal(Self.key("192.0.2.9"), now: Self.at(1)) == .limitReached)
    }

    @Test("a limit of 1 blocks at the first refusal and holds nothing")
    func limitOfOne() {
        var table = ClientRefusalTable<ManualInstant>(limit: 1, window: .seconds(60))
        #expect(table.countRefusal(Self.key("192.0.2.1"), now: Self.at(0)) == .limitReached)
        #expect(table.count == 0)
    }

    @Test("a reload's new limit applies to counts already running")
    func limitChanged() {
        var table = ClientRefusalTable<ManualInstant>(limit: 10, window: .seconds(60))
        let client = Self.key("192.0.2.1")
        _ = table.countRefusal(client, now: Self.at(0))
        _ = table.countRefusal(client, now: Self.at(1))
        table.limit = 3
        #expect(table.countRefusal(client, now: Self.at(2)) == .limitReached)
    }

    @Test("forget drops a client's count (an operator unblocked it)")
    func forget() {
        var table = ClientRefusalTable<ManualInstant>(limit: 3, window: .seconds(60))
        let client = Self.key("192.0.2.1")
        _ = table.countRefusal(client, now: Self.at(0))
        _ = table.countRefusal(client, now: Self.at(1))
        table.forget(client)
        #expect(table.countRefusal(client, now: Self.at(2)) == .counted(1))
    }

    @Test("at capacity a new client evicts the one whose window opened first")
    func evictsOldest() {
        var table = ClientRefusalTable<ManualInstant>(limit: 10, window: .seconds(3600), capacity: 3)
        let a = Self.key("192.0.2.1"), b = Self.key("192.0.2.2"), c = Self.key("192.0.2.3"), d = Self.key("192.0.2.4")
        _ = table.countRefusal(a, now: Self.at(0))
        _ = table.countRefusal(b, now: Self.at(1))
        _ = table.countRefusal(c, now: Self.at(2))
        _ = table.countRefusal(a, now: Self.at(3))   // a counts on, but its window is still the oldest
        #expect(table.countRefusal(d, now: Self.at(4)) == .counted(1))
        #expect(table.count == 3)
        #expect(table.refusals(of: a, now: Self.at(4)) == 0, "a's window opened first: evicted")
        #expect(table.refusals(of: b, now: Self.at(4)) == 1)
        #expect(table.refusals(of: c, now: Self.at(4)) == 1)
        #expect(table.refusals(of: d, now: Self.at(4)) == 1)
        _ = table.countRefusal(a, now: Self.at(5))
        #expect(table.refusals(of: b, now: Self.at(5)) == 0, "then b")
        #expect(table.count == 3)
    }

    @Test("a window reopened later is as young as its new start")
    func reopenedWindowIsYoung() {
        var table = ClientRefusalTable<ManualInstant>(limit: 10, window: .seconds(100), capacity: 2)
        let a = Self.key("192.0.2.1"), b = Self.key("192.0.2.2"), c = Self.key("192.0.2.3")
        _ = table.countRefusal(a, now: Self.at(0))
        _ = table.countRefusal(b, now: Self.at(50))
        _ = table.countRefusal(a, now: Self.at(120))   // a's first window closed: a new one opens at 120
        _ = table.countRefusal(c, now: Self.at(130))   // evicts b (opened 50), not a (opened 120)
        #expect(table.refusals(of: a, now: Self.at(130)) == 1)
        #expect(table.refusals(of: b, now: Self.at(130)) == 0)
        #expect(table.refusals(of: c, now: Self.at(130)) == 1)
    }

    @Test("churn: a million distinct clients never hold more than capacity, nor the queue more than 2 × capacity + 1")
    func churnIsBounded() {
        let capacity = 1000
        var table = ClientRefusalTable<ManualInstant>(limit: 30, window: .seconds(3600), capacity: capacity)
        var maxSlots = 0
        var maxCount = 0
        for index in 0..<1_000_000 {
            let v4 = IPAddress(ipv4Value: UInt32(0x0A00_0000 + index))
            _ = table.countRefusal(ClientKey(v4, ipv6PrefixLength: 64), now: Self.at(index / 1000))
            if index % 3 == 0 {
                // Some clients come back, and some windows reopen: stale queue slots pile up.
                _ = table.countRefusal(ClientKey(v4, ipv6PrefixLength: 64), now: Self.at(index / 1000 + 3600))
            }
            maxSlots = max(maxSlots, table.queuedSlots)
            maxCount = max(maxCount, table.count)
        }
        #expect(maxCount == capacity)
        #expect(table.count == capacity)
        #expect(maxSlots <= 2 * capacity + 1)
    }

    @Test("prune drops closed windows, oldest first, and keeps open ones")
    func prune() {
        var table = ClientRefusalTable<ManualInstant>(limit: 10, window: .seconds(100))
        for index in 0..<10 {
            _ = table.countRefusal(Self.key("192.0.2.\(index + 1)"), now: Self.at(index * 10))
        }
        table.prune(now: Self.at(145))   // windows opened at 0...40 have closed
        #expect(table.count == 5)
        #expect(table.refusals(of: Self.key("192.0.2.6"), now: Self.at(145)) == 1)
        table.prune(now: Self.at(1000))
        #expect(table.count == 0)
        #expect(table.queuedSlots == 0)
    }
}

@Suite("Client refusal table: memory")
struct ClientRefusalTableMemoryTests {
    /// Resident memory of this process, from /proc/self/status (Linux), in bytes.
    static func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let kilobytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kilobytes * 1024
    }

    /// A million distinct clients, half IPv4 and half IPv6 networks, through a table of the
    /// default capacity (100,000). The storage the table allocated is asserted: about 22 MB at
    /// most (unbounded, a million entries would take well over 100 MB); the resident memory is printed
    /// as a figure, not asserted, since other tests run in this process at the same time (run
    /// this suite alone to read it).
    @Test("a million distinct clients: the table's storage stays bounded")
    func millionClients() throws {
        var table = ClientRefusalTable<ManualInstant>(limit: 30, window: .seconds(3600))
        let before = try Self.residentBytes()
        var largest = 0
        for index in 0..<1_000_000 {
            let client = index % 2 == 0
                ? IPAddress(ipv4Value: UInt32(0x0A00_0000 + index))
                : IPAddress("2001:db8:\(String(index >> 16, radix: 16)):\(String(index & 0xffff, radix: 16))::1")!
            _ = table.countRefusal(ClientKey(client, ipv6PrefixLength: 64), now: ManualInstant.start.advanced(by: .milliseconds(index)))
            if index % 1024 == 0 { largest = max(largest, table.storageBytes) }
        }
        largest = max(largest, table.storageBytes)
        let after = try Self.residentBytes()
        print("client refusal table: 1,000,000 distinct clients, \(table.count) held, queue \(table.queuedSlots) slots; "
              + "storage \(largest / 1024) KiB at most; resident memory \(before / 1024) KiB -> \(after / 1024) KiB (+\((after - before) / 1024) KiB)")
        #expect(table.count == table.capacity)
        #expect(largest < 32 * 1024 * 1024, "storage grew to \(largest / 1024) KiB")
    }
}

@Suite("Harvest defence")
struct HarvestDefenceTests {
    static func configuration(_ text: String) throws -> Configuration {
        try ConfigurationParser.parse(text, file: "test.conf", defaultHostname: "h.example")
    }

    static func at(_ seconds: Int) -> ManualInstant { ManualInstant.start.advanced(by: .seconds(seconds)) }

    @Test("the refusal that reaches client_refusal_limit blocks the client for harvest_block_time")
    func refusalsBlock() throws {
        var defence = HarvestDefence<ManualInstant>(configuration: try Self.configuration(
            "client_refusal_limit = 3\nclient_refusal_window = 10m\nharvest_block_time = 5m"))
        let client = IPAddress("203.0.113.9")!
        do { let blocked = defence.countRefusal(from: client, now: Self.at(0)); #expect(!blocked) }
        do { let blocked = defence.countRefusal(from: client, now: Self.at(1)); #expect(!blocked) }
        #expect(!defence.isBlocked(client, now: Self.at(1)))
        do { let blocked = defence.countRefusal(from: client, now: Self.at(2)); #expect(blocked) }
        #expect(defence.isBlocked(client, now: Self.at(2)))
        #expect(defence.isBlocked(client, now: Self.at(301)))
        #expect(!defence.isBlocked(client, now: Self.at(302)))
        #expect(!defence.isBlocked(IPAddress("203.0.113.10")!, now: Self.at(2)))
    }

    @Test("a block from invalid_recipient_limit covers the client's whole IPv6 prefix")
    func sessionBlockPerPrefix() throws {
        var defence = HarvestDefence<ManualInstant>(configuration: try Self.configuration("client_ipv6_prefix = 56"))
        defence.block(IPAddress("2001:db8:0:1200::1")!, now: Self.at(0))
        #expect(defence.isBlocked(IPAddress("2001:db8:0:12ff:1:2:3:4")!, now: Self.at(1)))
        #expect(!defence.isBlocked(IPAddress("2001:db8:0:1300::1")!, now: Self.at(1)))
    }

    @Test("a reload changes limit, window, block time and prefix for what comes next")
    func reload() throws {
        var defence = HarvestDefence<ManualInstant>(configuration: try Self.configuration("client_refusal_limit = 30"))
        let client = IPAddress("2001:db8::1")!
        do { let blocked = defence.countRefusal(from: client, now: Self.at(0)); #expect(!blocked) }
        defence.apply(try Self.configuration("client_refusal_limit = 2\nclient_ipv6_prefix = 64\nharvest_block_time = 1m"))
        do { let blocked = defence.countRefusal(from: IPAddress("2001:db8::2")!, now: Self.at(1)); #expect(blocked, "same /64, second refusal") }
        #expect(defence.isBlocked(client, now: Self.at(60)))
        #expect(!defence.isBlocked(client, now: Self.at(61)))
    }
}
