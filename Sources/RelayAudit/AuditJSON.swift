import DecisionLog
/// The audit as one JSON document for scripts (relayguard(8), audit):
///
///     {"target":"…","local_domain":"…","external_domain":"…","server_name":"…","cases":[
///     {"name":"…","mail":"…","rcpt":"…","code":550,"reply":"…","verdict":"pass"},
///     …
///     ],"passed":N,"failed":M,"untested":K}
///
/// `code` is a JSON number, or `null` when the server sent no reply (closed, timed out).
/// `mail` and `rcpt` are the paths as sent, angle brackets included; `reply` is the reply
/// text (or what happened instead), never shortened; `verdict` is `pass`, `fail` or
/// `untested`. One case per line, so that the document also reads well in a terminal.
public enum AuditJSON {
    public static func render(_ report: AuditReport) -> String {
        var text = "{"
        text += "\"target\":" + JSONString.quoted(report.target)
        text += ",\"local_domain\":" + JSONString.quoted(report.site.localDomain)
        text += ",\"external_domain\":" + JSONString.quoted(report.site.externalDomain)
        text += ",\"server_name\":" + JSONString.quoted(report.site.serverName)
        text += ",\"cases\":["
        for (index, result) in report.results.enumerated() {
            text += index == 0 ? "\n" : ",\n"
            text += "{\"name\":" + JSONString.quoted(result.auditCase.name)
            text += ",\"mail\":" + JSONString.quoted(result.auditCase.mail)
            text += ",\"rcpt\":" + JSONString.quoted(result.auditCase.rcpt)
            text += ",\"code\":" + (result.outcome.code.map { String($0) } ?? "null")
            text += ",\"reply\":" + JSONString.quoted(result.outcome.replyDescription)
            text += ",\"verdict\":" + JSONString.quoted(result.verdict.rawValue) + "}"
        }
        text += report.results.isEmpty ? "]" : "\n]"
        text += ",\"passed\":\(report.passed),\"failed\":\(report.failed),\"untested\":\(report.untested)}\n"
        return text
    }
}
