import Testing
import RelayAudit

/// The test site: the MX of local.example, named mx.local.example, at 192.0.2.25.
let site = AuditSite(localDomain: "local.example", externalDomain: "external.invalid",
                     serverName: "mx.local.example", serverLiteral: "[192.0.2.25]")

struct CatalogCase: CustomTestStringConvertible, Sendable {
    let name: String
    let mail: String
    let rcpt: String
    var testDescription: String { name }
}

/// Every case the audit runs against the test site, by name, with the exact envelope.
let expectedCases: [CatalogCase] = [
    CatalogCase(name: "test 1: external sender to external recipient", mail: "<user@external.invalid>", rcpt: "<someone@external.invalid>"),
    CatalogCase(name: "test 2: unqualified sender", mail: "<localuser>", rcpt: "<someone@external.invalid>"),
    CatalogCase(name: "test 3: null sender", mail: "<>", rcpt: "<someone@external.invalid>"),
    CatalogCase(name: "test 4: sender at the local domain", mail: "<user@local.example>", rcpt: "<someone@external.invalid>"),
    CatalogCase(name: "test 5: sender at the server's IP literal", mail: "<user@[192.0.2.25]>", rcpt: "<someone@external.invalid>"),
    CatalogCase(name: "test 5: sender at localhost", mail: "<user@localhost>", rcpt: "<someone@external.invalid>"),
    CatalogCase(name: "test 5: sender at the server's own name", mail: "<user@mx.local.example>", rcpt: "<someone@external.invalid>"),
    CatalogCase(name: "test 6: percent hack, unqualified", mail: "<user>", rcpt: "<user%external.invalid>"),
    CatalogCase(name: "test 6: percent hack at the local domain", mail: "<user>", rcpt: "<user%external.invalid@local.example>"),
    CatalogCase(name: "test 7: quoted address, unqualified", mail: "<user>", rcpt: "<\"user@external.invalid\">"),
    CatalogCase(name: "test 7: quoted address at the local domain", mail: "<user>", rcpt: "<\"user@external.invalid\"@local.example>"),
    CatalogCase(name: "source route through the local domain", mail: "<user@external.invalid>", rcpt: "<@local.example:user@external.invalid>"),
    CatalogCase(name: "source route through the server's own name", mail: "<user@external.invalid>", rcpt: "<@mx.local.example:user@external.invalid>"),
    CatalogCase(name: "percent hack at the server's IP literal", mail: "<user@external.invalid>", rcpt: "<user%external.invalid@[192.0.2.25]>"),
    CatalogCase(name: "percent hack at localhost", mail: "<user@external.invalid>", rcpt: "<user%external.invalid@localhost>"),
    CatalogCase(name: "double percent hack", mail: "<user@external.invalid>", rcpt: "<user%external.invalid%local.example@local.example>"),
    CatalogCase(name: "quoted percent hack at the local domain", mail: "<user@external.invalid>", rcpt: "<\"user%external.invalid\"@local.example>"),
    CatalogCase(name: "bang path, unqualified", mail: "<user@external.invalid>", rcpt: "<external.invalid!user>"),
    CatalogCase(name: "bang path at the local domain", mail: "<user@external.invalid>", rcpt: "<external.invalid!user@local.example>"),
    CatalogCase(name: "bang path at the server's IP literal", mail: "<user@external.invalid>", rcpt: "<external.invalid!user@[192.0.2.25]>"),
    CatalogCase(name: "quoted address at the server's IP literal", mail: "<user@external.invalid>", rcpt: "<\"user@external.invalid\"@[192.0.2.25]>"),
    CatalogCase(name: "double @", mail: "<user@external.invalid>", rcpt: "<user@external.invalid@local.example>"),
    CatalogCase(name: "external domain with a trailing dot", mail: "<user@external.invalid>", rcpt: "<someone@external.invalid.>"),
    CatalogCase(name: "postmaster at the external domain", mail: "<postmaster@local.example>", rcpt: "<postmaster@external.invalid>"),
    CatalogCase(name: "sender at localhost, percent hack at the local domain", mail: "<user@localhost>", rcpt: "<user%external.invalid@local.example>"),
]

@Suite("Audit case list")
struct AuditCatalogTests {
    @Test("each case has its exact envelope", arguments: expectedCases)
    func envelope(_ expected: CatalogCase) throws {
        let found = try #require(AuditCatalog.cases(for: site).first { $0.name == expected.name })
        #expect(found.mail == expected.mail)
        #expect(found.rcpt == expected.rcpt)
        #expect(found.mailCommand == "MAIL FROM:\(expected.mail)")
        #expect(found.rcptCommand == "RCPT TO:\(expected.rcpt)")
    }

    @Test("the list is exactly the expected cases, in order, with unique names")
    func wholeList() {
        let cases = AuditCatalog.cases(for: site)
        #expect(cases.map(\.name) == expectedCases.map(\.name))
        #expect(Set(cases.map(\.name)).count == cases.count)
    }

    @Test("the article's seven tests all come first")
    func articleTestsFirst() {
        let names = AuditCatalog.cases(for: site).prefix(11).map(\.name)
        for number in 1...7 {
            #expect(names.contains { $0.hasPrefix("test \(number): ") }, "test \(number) missing")
        }
    }

    @Test("every recipient names the external domain, so each case is a relay attempt")
    func everyCaseTargetsTheExternalDomain() {
        for auditCase in AuditCatalog.cases(for: site) {
            #expect(auditCase.rcpt.contains("external.invalid"), "\(auditCase.name)")
        }
    }

    @Test("other domains are written into the cases as given")
    func otherDomains() {
        let other = AuditSite(localDomain: "example.org", externalDomain: "elsewhere.test",
                              serverName: "mx1.example.org", serverLiteral: "[IPv6:2001:db8::25]")
        let cases = AuditCatalog.cases(for: other)
        #expect(cases.contains { $0.rcpt == "<user%elsewhere.test@[IPv6:2001:db8::25]>" })
        #expect(cases.contains { $0.rcpt == "<@mx1.example.org:user@elsewhere.test>" })
        #expect(cases.allSatisfy { !$0.mail.contains("external.invalid") && !$0.rcpt.contains("external.invalid") })
    }
}
