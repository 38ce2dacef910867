import Testing
@testable import DNSBL
import RelayPolicy
import NetworkAddress
import DNSBL

@Suite("DNSBLScore")
struct DNSBLScoreTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var sites: [String]
        var answers: [String: [String]]
        var threshold: Int = 1
        var score: Int
        var listed: Bool
        var hits: [String]
        var listingZones: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "no answers, score 0, not listed", sites: ["bl.example"], answers: [:],
              score: 0, listed: false, hits: [], listingZones: []),
        .init(name: "plain 127.0.0.2 counts without a filter", sites: ["bl.example"], answers: ["bl.example": ["127.0.0.2"]],
              score: 1, listed: true, hits: ["bl.example=127.0.0.2"], listingZones: ["bl.example"]),
        .init(name: "127.0.0.1 never counts without a filter", sites: ["bl.example"], answers: ["bl.example": ["127.0.0.1"]],
              score: 0, listed: false, hits: [], listingZones: []),
        .init(name: "127.255.255.254 error code never counts without a filter", sites: ["zen.example*3"],
              answers: ["zen.example": ["127.255.255.254"]], score: 0, listed: false, hits: [], listingZones: []),
        .init(name: "127.255.255.0 (whole /24 excluded)", sites: ["bl.example"], answers: ["bl.example": ["127.255.255.0"]],
              score: 0, listed: false, hits: [], listingZones: []),
        .init(name: "127.255.254.1 is not an error code", sites: ["bl.example"], answers: ["bl.example": ["127.255.254.1"]],
              score: 1, listed: true, hits: ["bl.example=127.255.254.1"], listingZones: ["bl.example"]),
        .init(name: "answer outside 127/8 never counts", sites: ["bl.example"], answers: ["bl.example": ["192.0.2.1"]],
              score: 0, listed: false, hits: [], listingZones: []),
        .init(name: "answer outside 127/8 never counts, even with a filter that could be read loosely",
              sites: ["bl.example=127.0.0.[0..255]"], answers: ["bl.example": ["10.0.0.2"]],
              score: 0, listed: false, hits: [], listingZones: []),
        .init(name: "filter matches", sites: ["zen.example=127.0.0.[2..11]*3"], answers: ["zen.example": ["127.0.0.4"]],
              score: 3, listed: true, hits: ["zen.example=127.0.0.4"], listingZones: ["zen.example"]),
        .init(name: "filter does not match", sites: ["zen.example=127.0.0.[2..11]*3"], answers: ["zen.example": ["127.0.0.20"]],
              score: 0, listed: false, hits: [], listingZones: []),
        .init(name: "a filter may ask for 127.0.0.1 explicitly", sites: ["odd.example=127.0.0.1"], answers: ["odd.example": ["127.0.0.1"]],
              score: 1, listed: true, hits: ["odd.example=127.0.0.1"], listingZones: ["odd.example"]),
        .init(name: "weights add up across zones", sites: ["a.example*2", "b.example*3"],
              answers: ["a.example": ["127.0.0.2"], "b.example": ["127.0.0.3"]], threshold: 5,
              score: 5, listed: true, hits: ["a.example=127.0.0.2", "b.example=127.0.0.3"], listingZones: ["a.example", "b.example"]),
        .init(name: "below threshold is not listed", sites: ["a.example*2", "b.example*3"],
              answers: ["a.example": ["127.0.0.2"]], threshold: 3,
              score: 2, listed: false, hits: ["a.example=127.0.0.2"], listingZones: ["a.example"]),
        .init(name: "an entry counts once however many answers match", sites: ["bl.example*2"],
              answers: ["bl.example": ["127.0.0.2", "127.0.0.4"]],
              score: 2, listed: true, hits: ["bl.example=127.0.0.2", "bl.example=127.0.0.4"], listingZones: ["bl.example"]),
        .init(name: "allowlist weight lowers the score below the threshold (the man pages example)",
              sites: ["zen.example=127.0.0.[2..11]*3", "list.dnswl.example=127.0.[0..255].[1..3]*-2"],
              answers: ["zen.example": ["127.0.0.2"], "list.dnswl.example": ["127.0.10.2"]], threshold: 2,
              score: 1, listed: false, hits: ["zen.example=127.0.0.2", "list.dnswl.example=127.0.10.2"], listingZones: ["zen.example"]),
        .init(name: "allowlist alone makes a negative score", sites: ["list.dnswl.example=127.0.[0..255].[1..3]*-2"],
              answers: ["list.dnswl.example": ["127.0.5.1"]],
              score: -2, listed: false, hits: ["list.dnswl.example=127.0.5.1"], listingZones: []),
        .init(name: "two entries for one zone with different filters count separately",
              sites: ["zen.example=127.0.0.[2..3]*2", "zen.example=127.0.0.[10..11]*1"],
              answers: ["zen.example": ["127.0.0.2", "127.0.0.10"]],
              score: 3, listed: true, hits: ["zen.example=127.0.0.2", "zen.example=127.0.0.10"], listingZones: ["zen.example"]),
        .init(name: "two entries matching the same answer log one hit", sites: ["bl.example", "bl.example=127.0.0.2*2"],
              answers: ["bl.example": ["127.0.0.2"]],
              score: 3, listed: true, hits: ["bl.example=127.0.0.2"], listingZones: ["bl.example"]),
        .init(name: "zero weight hit is logged but does not list", sites: ["bl.example*0"], answers: ["bl.example": ["127.0.0.2"]],
              score: 0, listed: false, hits: ["bl.example=127.0.0.2"], listingZones: []),
    ]

    @Test("scores", arguments: cases)
    func scores(_ testCase: Case) throws {
        let sites = try testCase.sites.map { try #require(DNSBLSite($0)) }
        var answers: [String: DNSBLZoneAnswer] = [:]
        for (zone, texts) in testCase.answers {
            answers[zone] = .addresses(try texts.map { try #require(IPAddress($0)) })
        }
        let score = DNSBLScore(sites: sites, answers: answers, threshold: testCase.threshold)
        #expect(score.score == testCase.score)
        #expect(score.isListed == testCase.listed)
        #expect(score.hits == testCase.hits)
        #expect(score.listingZones == testCase.listingZones)
    }

    struct FailOpenCase: Sendable, CustomTestStringConvertible {
        var name: String
        var answer: DNSBLZoneAnswer
        var reason: String?
        var testDescription: String { name }
    }

    static let failOpen: [FailOpenCase] = [
        .init(name: "timeout counts as not listed, reason dnsbl_timeout", answer: .timedOut, reason: "dnsbl_timeout"),
        .init(name: "SERVFAIL counts as not listed, reason dnsbl_error", answer: .failed("SERVFAIL"), reason: "dnsbl_error"),
        .init(name: "disabled zone counts as not listed, no reason", answer: .skipped, reason: nil),
        .init(name: "NXDOMAIN is not listed, no reason", answer: .notListed, reason: nil),
    ]

    @Test("fails open", arguments: failOpen)
    func failsOpen(_ testCase: FailOpenCase) throws {
        let sites = [try #require(DNSBLSite("bl.example*5"))]
        let result = DNSBLResult(client: try #require(IPAddress("192.0.2.9")), sites: sites, threshold: 1,
                                 answers: ["bl.example": testCase.answer])
        #expect(result.score.score == 0)
        #expect(!result.isListed)
        #expect(result.reason?.rawValue == testCase.reason)
        #expect(result.listing(for: .reject) == nil)
    }

    struct ListingCase: Sendable, CustomTestStringConvertible {
        var name: String
        var action: DNSBLAction
        var listing: [String]?
        var testDescription: String { name }
    }

    static let listings: [ListingCase] = [
        .init(name: "reject hands the zones to the RCPT rule", action: .reject, listing: ["a.example"]),
        .init(name: "log never refuses", action: .log, listing: nil),
        .init(name: "reject-at-connect refused at the greeting already", action: .rejectAtConnect, listing: nil),
    ]

    @Test("listing for the session", arguments: listings)
    func listing(_ testCase: ListingCase) throws {
        let sites = [try #require(DNSBLSite("a.example")), try #require(DNSBLSite("b.example"))]
        let result = DNSBLResult(client: try #require(IPAddress("192.0.2.9")), sites: sites, threshold: 1,
                                 answers: ["a.example": .addresses([IPAddress(ipv4: (127, 0, 0, 2))]), "b.example": .timedOut])
        #expect(result.isListed)
        #expect(result.reason == .dnsblListed)
        #expect(result.timedOutZones == ["b.example"])
        #expect(result.listing(for: testCase.action) == testCase.listing)
    }
}
