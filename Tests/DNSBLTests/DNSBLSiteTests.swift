import Testing
@testable import DNSBL
import RelayPolicy
import NetworkAddress
import DNSBL

@Suite("DNSBLSite")
struct DNSBLSiteTests {
    struct ParseCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var zone: String
        var filter: String?
        var weight: Int
        var canonical: String
        var testDescription: String { name }
    }

    static let valid: [ParseCase] = [
        .init(name: "zone only", text: "bl.example", zone: "bl.example", filter: nil, weight: 1, canonical: "bl.example"),
        .init(name: "zone upper case, trailing dot", text: "Zen.Spamhaus.ORG.", zone: "zen.spamhaus.org", filter: nil, weight: 1, canonical: "zen.spamhaus.org"),
        .init(name: "weight", text: "bl.example*2", zone: "bl.example", filter: nil, weight: 2, canonical: "bl.example*2"),
        .init(name: "negative weight", text: "list.dnswl.org*-2", zone: "list.dnswl.org", filter: nil, weight: -2, canonical: "list.dnswl.org*-2"),
        .init(name: "weight 1 written", text: "bl.example*1", zone: "bl.example", filter: nil, weight: 1, canonical: "bl.example"),
        .init(name: "single address filter", text: "bl.example=127.0.0.2", zone: "bl.example", filter: "127.0.0.2", weight: 1, canonical: "bl.example=127.0.0.2"),
        .init(name: "range filter with weight (the man pages example)", text: "zen.spamhaus.org=127.0.0.[2..11]*3",
              zone: "zen.spamhaus.org", filter: "127.0.0.[2..11]", weight: 3, canonical: "zen.spamhaus.org=127.0.0.[2..11]*3"),
        .init(name: "two ranges, negative weight (the man pages example)", text: "list.dnswl.org=127.0.[0..255].[1..3]*-2",
              zone: "list.dnswl.org", filter: "127.0.[0..255].[1..3]", weight: -2, canonical: "list.dnswl.org=127.0.[0..255].[1..3]*-2"),
        .init(name: "alternatives separated by semicolon", text: "bl.example=127.0.0.2;127.0.0.4",
              zone: "bl.example", filter: "127.0.0.2;127.0.0.4", weight: 1, canonical: "bl.example=127.0.0.2;127.0.0.4"),
        .init(name: "list inside brackets", text: "bl.example=127.0.0.[1;3;5..7]*4",
              zone: "bl.example", filter: "127.0.0.[1;3;5..7]", weight: 4, canonical: "bl.example=127.0.0.[1;3;5..7]*4"),
        .init(name: "single-number brackets written bare", text: "bl.example=127.0.0.[2]", zone: "bl.example", filter: "127.0.0.2", weight: 1, canonical: "bl.example=127.0.0.2"),
        .init(name: "zero weight", text: "bl.example*0", zone: "bl.example", filter: nil, weight: 0, canonical: "bl.example*0"),
    ]

    @Test("parses", arguments: valid)
    func parses(_ testCase: ParseCase) throws {
        let site = try #require(DNSBLSite(testCase.text))
        #expect(site.zone == testCase.zone)
        #expect(site.filter?.description == testCase.filter)
        #expect(site.weight == testCase.weight)
        #expect(site.description == testCase.canonical)
        #expect(DNSBLSite(site.description) == site)
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var message: String
        var testDescription: String { name }
    }

    static let invalid: [InvalidCase] = [
        .init(name: "empty zone", text: "=127.0.0.2", message: "bad DNSBL site \"=127.0.0.2\": \"\" is not a DNS zone name"),
        .init(name: "zone with bad character", text: "bl_example.org", message: "bad DNSBL site \"bl_example.org\": \"bl_example.org\" is not a DNS zone name"),
        .init(name: "zone label starting with hyphen", text: "-bl.example", message: "bad DNSBL site \"-bl.example\": \"-bl.example\" is not a DNS zone name"),
        .init(name: "weight missing", text: "bl.example*", message: "bad DNSBL site \"bl.example*\": the weight after * must be a whole number, like *2 or *-2"),
        .init(name: "weight not a number", text: "bl.example*x", message: "bad DNSBL site \"bl.example*x\": the weight after * must be a whole number, like *2 or *-2"),
        .init(name: "weight with plus", text: "bl.example*+2", message: "bad DNSBL site \"bl.example*+2\": the weight after * must be a whole number, like *2 or *-2"),
        .init(name: "weight too large", text: "bl.example*99999999", message: "bad DNSBL site \"bl.example*99999999\": the weight after * must be a whole number, like *2 or *-2"),
        .init(name: "filter with three parts", text: "bl.example=127.0.2", message: "bad reply filter \"127.0.2\": expected four parts d.d.d.d"),
        .init(name: "filter with five parts", text: "bl.example=127.0.0.2.1", message: "bad reply filter \"127.0.0.2.1\": expected four parts d.d.d.d"),
        .init(name: "filter octet over 255", text: "bl.example=127.0.0.256", message: "bad reply filter \"127.0.0.256\": each part is a number 0 to 255 or a [list] like [2..11] or [1;3]"),
        .init(name: "filter backwards range", text: "bl.example=127.0.0.[11..2]", message: "bad reply filter \"127.0.0.[11..2]\": range 11..2 is backwards"),
        .init(name: "filter unclosed bracket", text: "bl.example=127.0.0.[2..11", message: "bad reply filter \"127.0.0.[2..11\": missing ]"),
        .init(name: "filter empty list item", text: "bl.example=127.0.0.[2;]", message: "bad reply filter \"127.0.0.[2;]\": a [list] holds numbers 0 to 255 and ranges n..m, separated by ;"),
        .init(name: "filter range with one dot", text: "bl.example=127.0.0.[2.11]", message: "bad reply filter \"127.0.0.[2.11]\": a range is n..m with numbers 0 to 255"),
        .init(name: "filter empty", text: "bl.example=", message: "bad reply filter \"\": empty pattern"),
        .init(name: "filter empty alternative", text: "bl.example=127.0.0.2;", message: "bad reply filter \"127.0.0.2;\": empty pattern"),
        .init(name: "filter outside 127/8 can never match", text: "bl.example=10.0.0.2", message: "bad reply filter \"10.0.0.2\": can never match, only answers inside 127.0.0.0/8 count"),
    ]

    @Test("refuses with a reason", arguments: invalid)
    func refuses(_ testCase: InvalidCase) {
        #expect(DNSBLSite(testCase.text) == nil)
        #expect(throws: ConfigurationValueError(testCase.message)) { try DNSBLSite(parsing: testCase.text) }
    }

    struct MatchCase: Sendable, CustomTestStringConvertible {
        var name: String
        var site: String
        var answer: String
        var counts: Bool
        var testDescription: String { name }
    }

    static let matching: [MatchCase] = [
        .init(name: "no filter: 127.0.0.2 counts", site: "bl.example", answer: "127.0.0.2", counts: true),
        .init(name: "no filter: 127.1.2.3 counts", site: "bl.example", answer: "127.1.2.3", counts: true),
        .init(name: "no filter: 127.0.0.1 never counts", site: "bl.example", answer: "127.0.0.1", counts: false),
        .init(name: "no filter: 127.255.255.252 (error code) never counts", site: "bl.example", answer: "127.255.255.252", counts: false),
        .init(name: "no filter: 127.255.255.0 never counts", site: "bl.example", answer: "127.255.255.0", counts: false),
        .init(name: "no filter: 127.255.255.255 never counts", site: "bl.example", answer: "127.255.255.255", counts: false),
        .init(name: "no filter: 127.255.254.1 counts", site: "bl.example", answer: "127.255.254.1", counts: true),
        .init(name: "no filter: outside 127/8 never counts", site: "bl.example", answer: "10.0.0.2", counts: false),
        .init(name: "no filter: 128.0.0.2 never counts", site: "bl.example", answer: "128.0.0.2", counts: false),
        .init(name: "no filter: IPv6 answer never counts", site: "bl.example", answer: "::1", counts: false),
        .init(name: "range: lower bound", site: "zen.spamhaus.org=127.0.0.[2..11]", answer: "127.0.0.2", counts: true),
        .init(name: "range: upper bound", site: "zen.spamhaus.org=127.0.0.[2..11]", answer: "127.0.0.11", counts: true),
        .init(name: "range: below", site: "zen.spamhaus.org=127.0.0.[2..11]", answer: "127.0.0.1", counts: false),
        .init(name: "range: above", site: "zen.spamhaus.org=127.0.0.[2..11]", answer: "127.0.0.12", counts: false),
        .init(name: "range: other third octet", site: "zen.spamhaus.org=127.0.0.[2..11]", answer: "127.0.1.2", counts: false),
        .init(name: "dnswl: 127.0.15.2 counts", site: "list.dnswl.org=127.0.[0..255].[1..3]*-2", answer: "127.0.15.2", counts: true),
        .init(name: "dnswl: 127.0.15.0 does not", site: "list.dnswl.org=127.0.[0..255].[1..3]*-2", answer: "127.0.15.0", counts: false),
        .init(name: "dnswl: 127.0.0.255 does not", site: "list.dnswl.org=127.0.[0..255].[1..3]*-2", answer: "127.0.0.255", counts: false),
        .init(name: "alternatives: first", site: "bl.example=127.0.0.2;127.0.0.4", answer: "127.0.0.2", counts: true),
        .init(name: "alternatives: second", site: "bl.example=127.0.0.2;127.0.0.4", answer: "127.0.0.4", counts: true),
        .init(name: "alternatives: between", site: "bl.example=127.0.0.2;127.0.0.4", answer: "127.0.0.3", counts: false),
        .init(name: "bracket list: listed item", site: "bl.example=127.0.0.[1;3;5..7]", answer: "127.0.0.6", counts: true),
        .init(name: "bracket list: unlisted item", site: "bl.example=127.0.0.[1;3;5..7]", answer: "127.0.0.4", counts: false),
        .init(name: "explicit filter may count 127.0.0.1", site: "bl.example=127.0.0.1", answer: "127.0.0.1", counts: true),
        .init(name: "filter matching outside 127/8 still never counts", site: "bl.example=[0..255].0.0.2", answer: "10.0.0.2", counts: false),
        .init(name: "filter matching inside 127/8 counts", site: "bl.example=[0..255].0.0.2", answer: "127.0.0.2", counts: true),
    ]

    @Test("matches answers", arguments: matching)
    func matches(_ testCase: MatchCase) throws {
        let site = try #require(DNSBLSite(testCase.site))
        let answer = try #require(IPAddress(testCase.answer))
        #expect(site.matches(answer) == testCase.counts)
    }
}
