import Testing
@testable import DNSBL
import RelayPolicy
import NetworkAddress
import DNSBL

@Suite("ZoneHealth")
struct ZoneHealthTests {
    static let a2 = DNSBLZoneAnswer.addresses([IPAddress(ipv4: (127, 0, 0, 2))])
    static let errorCode = DNSBLZoneAnswer.addresses([IPAddress(ipv4: (127, 255, 255, 254))])
    static let healthy = ZoneHealthProbe(mustBeListed: a2, mustNotBeListed: .notListed)
    static let listsEveryone = ZoneHealthProbe(mustBeListed: a2, mustNotBeListed: a2)
    static let refusesResolver = ZoneHealthProbe(mustBeListed: errorCode, mustNotBeListed: errorCode)
    static let empty = ZoneHealthProbe(mustBeListed: .notListed, mustNotBeListed: .notListed)
    static let silent = ZoneHealthProbe(mustBeListed: .timedOut, mustNotBeListed: .timedOut)
    static let halfSilent = ZoneHealthProbe(mustBeListed: a2, mustNotBeListed: .failed("SERVFAIL"))
    static let wildcardHijack = ZoneHealthProbe(
        mustBeListed: .addresses([IPAddress(ipv4: (192, 0, 2, 80))]), mustNotBeListed: .notListed)

    struct Step: Sendable {
        var probe: ZoneHealthProbe
        var state: ZoneHealthState
        /// nil: no transition expected; otherwise whether it is an alarm.
        var alarm: Bool?
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var steps: [Step]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "healthy at start: quiet transition", steps: [
            .init(probe: healthy, state: .healthy, alarm: false),
            .init(probe: healthy, state: .healthy, alarm: nil),
        ]),
        .init(name: "lists 127.0.0.1: disabled, loudly", steps: [
            .init(probe: listsEveryone, state: .disabled(.listsLoopback([IPAddress(ipv4: (127, 0, 0, 2))])), alarm: true),
        ]),
        .init(name: "answers 127.255.255.254 to our resolver: disabled", steps: [
            .init(probe: healthy, state: .healthy, alarm: false),
            .init(probe: refusesResolver, state: .disabled(.listsLoopback([IPAddress(ipv4: (127, 255, 255, 254))])), alarm: true),
        ]),
        .init(name: "does not list 127.0.0.2: disabled", steps: [
            .init(probe: empty, state: .disabled(.missesTestPoint(.notListed)), alarm: true),
        ]),
        .init(name: "127.0.0.2 answered outside 127/8: disabled", steps: [
            .init(probe: wildcardHijack, state: .disabled(.missesTestPoint(.addresses([IPAddress(ipv4: (192, 0, 2, 80))]))), alarm: true),
        ]),
        .init(name: "recovers: re-enabled, loudly", steps: [
            .init(probe: listsEveryone, state: .disabled(.listsLoopback([IPAddress(ipv4: (127, 0, 0, 2))])), alarm: true),
            .init(probe: listsEveryone, state: .disabled(.listsLoopback([IPAddress(ipv4: (127, 0, 0, 2))])), alarm: nil),
            .init(probe: healthy, state: .healthy, alarm: true),
        ]),
        .init(name: "silence changes nothing, from unchecked", steps: [
            .init(probe: silent, state: .unchecked, alarm: nil),
        ]),
        .init(name: "silence changes nothing, while disabled", steps: [
            .init(probe: empty, state: .disabled(.missesTestPoint(.notListed)), alarm: true),
            .init(probe: silent, state: .disabled(.missesTestPoint(.notListed)), alarm: nil),
            .init(probe: halfSilent, state: .disabled(.missesTestPoint(.notListed)), alarm: nil),
        ]),
        .init(name: "a new fault while disabled is reported", steps: [
            .init(probe: empty, state: .disabled(.missesTestPoint(.notListed)), alarm: true),
            .init(probe: listsEveryone, state: .disabled(.listsLoopback([IPAddress(ipv4: (127, 0, 0, 2))])), alarm: true),
        ]),
    ]

    @Test("transitions", arguments: cases)
    func transitions(_ testCase: Case) throws {
        var health = ZoneHealth(zone: "bl.example")
        #expect(health.state == .unchecked)
        #expect(health.isEnabled)
        for step in testCase.steps {
            let before = health.state
            let transition = health.record(step.probe)
            #expect(health.state == step.state)
            #expect(health.isEnabled == step.state.isEnabled)
            if let alarm = step.alarm {
                let made = try #require(transition)
                #expect(made.from == before)
                #expect(made.to == step.state)
                #expect(made.isAlarm == alarm)
                #expect(made.zone == "bl.example")
            } else {
                #expect(transition == nil)
            }
        }
    }

    @Test("log lines name the zone and the fault")
    func logLines() {
        var health = ZoneHealth(zone: "dead.example")
        let down = health.record(Self.refusesResolver)
        #expect(down?.description == "DNSBL zone dead.example DISABLED: it lists 127.0.0.1 (answer 127.255.255.254); its answers are ignored until it passes the RFC 5782 test again")
        let up = health.record(Self.healthy)
        #expect(up?.description == "DNSBL zone dead.example RE-ENABLED: it lists 127.0.0.2 and not 127.0.0.1 again")
    }
}

@Suite("ZoneHealth: lookups that keep timing out")
struct ZoneHealthTimeoutTests {
    static let healthyProbe = ZoneHealthProbe(mustBeListed: .addresses([IPAddress(ipv4: (127, 0, 0, 2))]), mustNotBeListed: .notListed)
    static let silentProbe = ZoneHealthProbe(mustBeListed: .timedOut, mustNotBeListed: .timedOut)

    @Test("three timeouts in a row suspend the zone; an answer in between resets the count")
    func suspends() {
        var health = ZoneHealth(zone: "bl.example")
        #expect(health.recordLookup(.timedOut) == nil)
        #expect(health.recordLookup(.notListed) == nil)
        #expect(health.recordLookup(.timedOut) == nil)
        #expect(health.recordLookup(.failed("SERVFAIL")) == nil)
        #expect(health.recordLookup(.timedOut) == nil)
        let transition = health.recordLookup(.timedOut)
        #expect(transition?.to == .disabled(.timingOut(3)))
        #expect(transition?.description.hasPrefix("DNSBL zone bl.example SUSPENDED: its lookups timed out 3 times in a row") == true)
        #expect(!health.isEnabled)
        #expect(health.isSuspendedForTimeouts)
        #expect(health.recordLookup(.timedOut) == nil)
    }

    @Test("a silent probe counts as a timeout; a conclusive one resumes the zone")
    func probes() {
        var health = ZoneHealth(zone: "bl.example")
        #expect(health.record(Self.silentProbe) == nil)
        #expect(health.recordLookup(.timedOut) == nil)
        #expect(health.record(Self.silentProbe)?.to == .disabled(.timingOut(3)))
        #expect(health.record(Self.silentProbe) == nil)
        let resumed = health.record(Self.healthyProbe)
        #expect(resumed?.to == .healthy)
        #expect(resumed?.isAlarm == true)
        #expect(resumed?.description == "DNSBL zone bl.example RESUMED: it answers again (it lists 127.0.0.2 and not 127.0.0.1)")
        #expect(health.timeoutStreak == 0)
    }
}
