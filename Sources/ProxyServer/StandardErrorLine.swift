// StandardErrorLine: one line to stderr, for what an administrator must see at once (a DNSBL
// zone disabled); everything else goes to the decision log.
import Glibc

enum StandardErrorLine {
    static func write(_ text: String) {
        let line = text + "\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}
