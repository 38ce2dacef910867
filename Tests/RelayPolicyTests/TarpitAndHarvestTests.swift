import TestSupport
import Testing
@testable import RelayPolicy
import NetworkAddress

@Suite("Tarpit schedule")
struct TarpitScheduleTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let delay: Duration
        let maxDelay: Duration
        let rejection: Int
        let expected: Duration
        var testDescription: String { name }
    }

    @Test("min(n × tarpit_delay, tarpit_max_delay)", arguments: [
        Row(name: "first refusal waits one delay", delay: .seconds(5), maxDelay: .seconds(30), rejection: 1, expected: .seconds(5)),
        Row(name: "third refusal waits three delays", delay: .seconds(5), maxDelay: .seconds(30), rejection: 3, expected: .seconds(15)),
        Row(name: "sixth refusal reaches the cap exactly", delay: .seconds(5), maxDelay: .seconds(30), rejection: 6, expected: .seconds(30)),
        Row(name: "seventh refusal is capped", delay: .seconds(5), maxDelay: .seconds(30), rejection: 7, expected: .seconds(30)),
        Row(name: "absurd count is capped without overflow", delay: .seconds(5), maxDelay: .seconds(30), rejection: Int.max, expected: .seconds(30)),
        Row(name: "milliseconds", delay: .milliseconds(250), maxDelay: .seconds(1), rejection: 2, expected: .milliseconds(500)),
        Row(name: "zero delay disables the tarpit", delay: .zero, maxDelay: .seconds(30), rejection: 4, expected: .zero),
        Row(name: "no refusal yet, no delay", delay: .seconds(5), maxDelay: .seconds(30), rejection: 0, expected: .zero),
        Row(name: "cap below one delay", delay: .seconds(5), maxDelay: .seconds(2), rejection: 1, expected: .seconds(2)),
    ])
    func schedule(_ row: Row) {
        #expect(TarpitSchedule(delay: row.delay, maxDelay: row.maxDelay).delay(forRejection: row.rejection) == row.expected)
    }

    @Test("trusted and authenticated clients are never delayed")
    func exempt() {
        let schedule = TarpitSchedule(delay: .seconds(5), maxDelay: .seconds(30))
        #expect(schedule.delay(forRejection: 2, client: ClientStanding(isTrusted: true)) == .zero)
        #expect(schedule.delay(forRejection: 2, client: ClientStanding(isAuthenticated: true)) == .zero)
        #expect(schedule.delay(forRejection: 2, client: ClientStanding()) == .seconds(10))
    }
}

@Suite("Session limits")
struct SessionLimitsTests {
    @Test("the refusal that reaches invalid_recipient_limit ends the session")
    func invalidRecipientLimit() {
        var limits = SessionLimits(invalidRecipientLimit: 3, errorLimit: 20)
        #expect(limits.recordInvalidRecipient() == .proceed(count: 1))
        #expect(limits.recordInvalidRecipient() == .proceed(count: 2))
        #expect(limits.recordInvalidRecipient() == .limitReached)
        #expect(limits.invalidRecipients == 3)
        #expect(limits.errors == 0)
    }

    @Test("error_limit counts separately")
    func errorLimit() {
        var limits = SessionLimits(invalidRecipientLimit: 3, errorLimit: 2)
        #expect(limits.recordError() == .proceed(count: 1))
        #expect(limits.recordInvalidRecipient() == .proceed(count: 1))
        #expect(limits.recordError() == .limitReached)
    }

    @Test("a limit of one ends the session at the first refusal")
    func limitOfOne() {
        var limits = SessionLimits(invalidRecipientLimit: 1, errorLimit: 1)
        #expect(limits.recordInvalidRecipient() == .limitReached)
        #expect(limits.recordError() == .limitReached)
    }
}

@Suite("Harvest block table")
struct HarvestBlockTableTests {
    let client = key("203.0.113.5")
    let other = key("203.0.113.6")

    @Test("a blocked client is refused until the block time has passed")
    func blockAndExpire() {
        var table = HarvestBlockTable<ManualInstant>(blockTime: .seconds(600))
        let t0 = ManualInstant.start
        #expect(!table.isBlocked(client, now: t0))
        table.block(client, now: t0)
        #expect(table.isBlocked(client, now: t0))
        #expect(table.isBlocked(client, now: t0.advanced(by: .seconds(599))))
        #expect(table.remaining(client, now: t0.advanced(by: .seconds(599))) == .seconds(1))
        #expect(!table.isBlocked(other, now: t0))
        #expect(!table.isBlocked(client, now: t0.advanced(by: .seconds(600))))
        table.prune(now: t0.advanced(by: .seconds(600)))
        #expect(table.count == 0, "the expired entry is pruned")
    }

    @Test("IPv4-mapped IPv6 is the same client as IPv4")
    func mappedAddress() {
        var table = HarvestBlockTable<ManualInstant>(blockTime: .seconds(60))
        table.block(key("::ffff:203.0.113.5"), now: .start)
        #expect(table.isBlocked(client, now: .start))
    }

    @Test("a blocked IPv6 network is refused from every address in it, and only there")
    func ipv6Network() {
        var table = HarvestBlockTable<ManualInstant>(blockTime: .seconds(60))
        table.block(key("2001:db8:1:2::5"), now: .start)
        #expect(table.isBlocked(key("2001:db8:1:2:ffff:ffff:ffff:ffff"), now: .start))
        #expect(table.isBlocked(key("2001:db8:1:2::"), now: .start))
        #expect(!table.isBlocked(key("2001:db8:1:3::5"), now: .start))
    }

    @Test("blocking again extends the block")
    func extend() {
        var table = HarvestBlockTable<ManualInstant>(blockTime: .seconds(60))
        table.block(client, now: .start)
        table.block(client, now: ManualInstant.start.advanced(by: .seconds(50)))
        #expect(table.isBlocked(client, now: ManualInstant.start.advanced(by: .seconds(100))))
        #expect(!table.isBlocked(client, now: ManualInstant.start.advanced(by: .seconds(110))))
    }

    @Test("the table is bounded: at capacity, expired entries go first, then the soonest to expire")
    func bounded() {
        var table = HarvestBlockTable<ManualInstant>(blockTime: .seconds(60), capacity: 3)
        let a = key("192.0.2.1"), b = key("192.0.2.2"), c = key("192.0.2.3"), d = key("192.0.2.4")
        table.block(a, now: .start)
        table.block(b, now: ManualInstant.start.advanced(by: .seconds(10)))
        table.block(c, now: ManualInstant.start.advanced(by: .seconds(20)))
        table.block(d, now: ManualInstant.start.advanced(by: .seconds(30)))
        #expect(table.count == 3)
        let now = ManualInstant.start.advanced(by: .seconds(30))
        #expect(!table.isBlocked(a, now: now), "a expired soonest and was evicted")
        #expect(table.isBlocked(b, now: now) && table.isBlocked(c, now: now) && table.isBlocked(d, now: now))

        let later = ManualInstant.start.advanced(by: .seconds(75))
        table.block(a, now: later)   // b (expired at 70) is pruned, not c
        #expect(table.isBlocked(c, now: later) && table.isBlocked(d, now: later) && table.isBlocked(a, now: later))
        #expect(table.count == 3)
    }

    @Test("prune drops only expired entries")
    func prune() {
        var table = HarvestBlockTable<ManualInstant>(blockTime: .seconds(60))
        table.block(client, now: .start)
        table.block(other, now: ManualInstant.start.advanced(by: .seconds(30)))
        table.prune(now: ManualInstant.start.advanced(by: .seconds(60)))
        #expect(table.count == 1)
        #expect(table.isBlocked(other, now: ManualInstant.start.advanced(by: .seconds(60))))
    }

    @Test("a block time of zero blocks nobody")
    func zero() {
        var table = HarvestBlockTable<ManualInstant>(blockTime: .zero)
        table.block(client, now: .start)
        #expect(!table.isBlocked(client, now: .start))
    }
}

@Suite("Recipient map")
struct RecipientMapTests {
    @Test("entries, comments, blank lines and case")
    func parse() throws {
        let map = try RecipientMap(parsing: "\u{FEFF}# users\nalice@local.example\n\nBob@Local.Example  \r\n@catchall.example.\n", file: "map")
        #expect(map.count == 3)
        #expect(map.contains(localPart: "alice", domain: "local.example"))
        #expect(map.contains(localPart: "ALICE", domain: "LOCAL.EXAMPLE."))
        #expect(map.contains(localPart: "bob", domain: "local.example"))
        #expect(map.contains(localPart: "anyone", domain: "catchall.example"))
        #expect(!map.contains(localPart: "carol", domain: "local.example"))
        #expect(!map.contains(localPart: "alice", domain: "other.example"))
    }

    @Test("a Postfix table source: the first field is the address, values and continuations are ignored")
    func postfixTableSource() throws {
        let text = "alice@local.example   frank@local.example\ncarol@local.example\tcarol\n    dave@local.example,\n\t erin@local.example\n"
        let map = try RecipientMap(parsing: text, file: "virtual")
        #expect(map.count == 2)
        #expect(map.contains(localPart: "alice", domain: "local.example"))
        #expect(map.contains(localPart: "carol", domain: "local.example"))
        #expect(!map.contains(localPart: "frank", domain: "local.example"))
        #expect(!map.contains(localPart: "dave", domain: "local.example"))
        #expect(!map.contains(localPart: "erin", domain: "local.example"))
    }

    @Test("bad entries name the file and line", arguments: [
        ("alice@local.example\nnobody\n", 2, "needs a domain"),
        ("\n\nalice@\n", 3, "empty domain"),
    ])
    func errors(text: String, line: Int, fragment: String) {
        #expect {
            _ = try RecipientMap(parsing: text, file: "/etc/relayguard/recipients")
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.file == "/etc/relayguard/recipients" && error.line == line && error.message.contains(fragment)
        }
    }
}

@Suite("Domain matcher")
struct DomainMatcherTests {
    let matcher = DomainMatcher(["Local.Example", ".sub.example", "[192.0.2.25]", "[IPv6:2001:db8::25]"])

    @Test("matches", arguments: [
        ("local.example", true), ("LOCAL.EXAMPLE.", true), ("x.local.example", false),
        ("sub.example", false), ("a.sub.example", true), ("a.b.sub.example", true), ("asub.example", false),
        ("example", false),
    ])
    func names(name: String, expected: Bool) {
        #expect(matcher.matches(.name(name)) == expected)
    }

    @Test("address literals compare by address")
    func literals() {
        #expect(matcher.matches(.addressLiteral(.ipv4("192.0.2.25"))))
        #expect(!matcher.matches(.addressLiteral(.ipv4("192.0.2.26"))))
        #expect(matcher.matches(.addressLiteral(.ipv6("2001:DB8:0:0::25"))))
        #expect(!matcher.matches(.name("192.0.2.25")))
    }
}

/// The key of `text` with the default IPv6 prefix (/64).
private func key(_ text: String) -> ClientKey {
    ClientKey(IPAddress(text)!, ipv6PrefixLength: 64)
}
