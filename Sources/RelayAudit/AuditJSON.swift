/// The audit as one JSON document for scripts (SPEC section 8):
///
///     {"target":"…","local_domain":"…","external_domain":"…","server_name":"…","cases":[
///     {"name":"…","mail":"…","rcpt":"…","code":550,"reply":"…","verdict":"pass"},
///     …
///     ],"passed":N,"failed":M,"inconclusive":K}
///
/// `code` is a JSON number, or `null` when the server sent no reply (closed, timed out).
/// `mail` and `rcpt` are the paths as sent, angle brackets included; `reply` is the reply
/// text (or what happened instead), never shortened; `verdict` is `pass`, `fail` or
/// `inconclusive`. One case per line, so that the document also reads well in a terminal.
public enum AuditJSON {
    public static func render(_ report: AuditReport) -> String {
        var text = "{"
        text += "\"target\":" + JSONQuoting.quoted(report.target)
        text += ",\"local_domain\":" + JSONQuoting.quoted(report.site.localDomain)
        text += ",\"external_domain\":" + JSONQuoting.quoted(report.site.externalDomain)
        text += ",\"server_name\":" + JSONQuoting.quoted(report.site.serverName)
        text += ",\"cases\":["
        for (index, result) in report.results.enumerated() {
            text += index == 0 ? "\n" : ",\n"
            text += "{\"name\":" + JSONQuoting.quoted(result.auditCase.name)
            text += ",\"mail\":" + JSONQuoting.quoted(result.auditCase.mail)
            text += ",\"rcpt\":" + JSONQuoting.quoted(result.auditCase.rcpt)
            text += ",\"code\":" + (result.outcome.code.map { String($0) } ?? "null")
            text += ",\"reply\":" + JSONQuoting.quoted(result.outcome.replyDescription)
            text += ",\"verdict\":" + JSONQuoting.quoted(result.verdict.rawValue) + "}"
        }
        text += report.results.isEmpty ? "]" : "\n]"
        text += ",\"passed\":\(report.passed),\"failed\":\(report.failed),\"inconclusive\":\(report.inconclusive)}\n"
        return text
    }
}
