/// The open-relay audit's cases (relayguard(8), audit): the relay article's seven tests, then the
/// classic relay-test address forms that old mail servers turned into real relay.
///
/// Every case sends mail to the external domain, whatever form the address takes; none of them
/// may be accepted from a stranger. The senders of tests 2 to 5 prove that no envelope sender
/// (unqualified, null, local, the server's own literal, `localhost`, its own name) grants relay.
///
/// Why the routing tricks are tried at the local domain: a server that receives for that domain
/// and then interprets `%`, `!`, a quoted `@` or a source route in the local part passes the
/// mail on to the external domain, which is relay even though the RCPT names a local domain.
public enum AuditCatalog {
    /// The cases for `site`, in the order they are run and printed.
    public static func cases(for site: AuditSite) -> [AuditCase] {
        let local = site.localDomain
        let external = site.externalDomain
        let literal = site.serverLiteral
        let name = site.serverName
        let stranger = "<user@\(external)>"
        let someone = "<someone@\(external)>"
        return [
            // The article's seven tests (relay-article-summary.md).
            AuditCase(name: "test 1: external sender to external recipient", mail: stranger, rcpt: someone),
            AuditCase(name: "test 2: unqualified sender", mail: "<localuser>", rcpt: someone),
            AuditCase(name: "test 3: null sender", mail: "<>", rcpt: someone),
            AuditCase(name: "test 4: sender at the local domain", mail: "<user@\(local)>", rcpt: someone),
            AuditCase(name: "test 5: sender at the server's IP literal", mail: "<user@\(literal)>", rcpt: someone),
            AuditCase(name: "test 5: sender at localhost", mail: "<user@localhost>", rcpt: someone),
            AuditCase(name: "test 5: sender at the server's own name", mail: "<user@\(name)>", rcpt: someone),
            AuditCase(name: "test 6: percent hack, unqualified", mail: "<user>", rcpt: "<user%\(external)>"),
            AuditCase(name: "test 6: percent hack at the local domain", mail: "<user>", rcpt: "<user%\(external)@\(local)>"),
            AuditCase(name: "test 7: quoted address, unqualified", mail: "<user>", rcpt: "<\"user@\(external)\">"),
            AuditCase(name: "test 7: quoted address at the local domain", mail: "<user>", rcpt: "<\"user@\(external)\"@\(local)>"),

            // The classic relay-test address forms.
            AuditCase(name: "source route through the local domain", mail: stranger, rcpt: "<@\(local):user@\(external)>"),
            AuditCase(name: "source route through the server's own name", mail: stranger, rcpt: "<@\(name):user@\(external)>"),
            AuditCase(name: "percent hack at the server's IP literal", mail: stranger, rcpt: "<user%\(external)@\(literal)>"),
            AuditCase(name: "percent hack at localhost", mail: stranger, rcpt: "<user%\(external)@localhost>"),
            AuditCase(name: "double percent hack", mail: stranger, rcpt: "<user%\(external)%\(local)@\(local)>"),
            AuditCase(name: "quoted percent hack at the local domain", mail: stranger, rcpt: "<\"user%\(external)\"@\(local)>"),
            AuditCase(name: "bang path, unqualified", mail: stranger, rcpt: "<\(external)!user>"),
            AuditCase(name: "bang path at the local domain", mail: stranger, rcpt: "<\(external)!user@\(local)>"),
            AuditCase(name: "bang path at the server's IP literal", mail: stranger, rcpt: "<\(external)!user@\(literal)>"),
            AuditCase(name: "quoted address at the server's IP literal", mail: stranger, rcpt: "<\"user@\(external)\"@\(literal)>"),
            AuditCase(name: "double @", mail: stranger, rcpt: "<user@\(external)@\(local)>"),
            AuditCase(name: "external domain with a trailing dot", mail: stranger, rcpt: "<someone@\(external).>"),
            AuditCase(name: "postmaster at the external domain", mail: "<postmaster@\(local)>", rcpt: "<postmaster@\(external)>"),
            AuditCase(name: "sender at localhost, percent hack at the local domain", mail: "<user@localhost>", rcpt: "<user%\(external)@\(local)>"),
        ]
    }
}
