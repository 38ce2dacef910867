import NetworkAddress
import RelayPolicy

/// One request on the control socket (`relayguard ctl`): a line, parsed strictly.
///
/// Why strict: the socket is the operator's, but a typo must never act (`unblock al` is an
/// error, not "unblock nothing, say ok").
enum ControlRequest: Equatable {
    /// `blocks`: every block, with address, reason and time left.
    case blocks
    /// `unblock ADDR`: lift the block of one client (IPv6: its prefix).
    case unblock(IPAddress)
    /// `unblock all`.
    case unblockAll
    /// `block ADDR DURATION`: block a client as the harvest defence would.
    case block(IPAddress, Duration)
    /// `stats`: the metrics, readable.
    case stats
    /// `zones`: DNSBL zone health.
    case zones
    /// `sessions`: counts of sessions by state.
    case sessions

    /// The longest request line, CRLF or LF included.
    static let maxLineLength = 512

    /// Parses one line (without its line end). Errors are the reply's text.
    static func parse(_ line: String) -> Result<ControlRequest, ControlRequestError> {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let verb = words.first else { return .failure(.empty) }
        let arguments = Array(words.dropFirst())
        switch verb {
        case "blocks", "stats", "zones", "sessions":
            guard arguments.isEmpty else { return .failure(.usage("\(verb) takes no argument")) }
            switch verb {
            case "blocks": return .success(.blocks)
            case "stats": return .success(.stats)
            case "zones": return .success(.zones)
            default: return .success(.sessions)
            }
        case "unblock":
            guard arguments.count == 1 else { return .failure(.usage("unblock ADDR|all")) }
            if arguments[0] == "all" { return .success(.unblockAll) }
            guard let address = IPAddress(arguments[0]) else { return .failure(.usage("unblock: \"\(arguments[0])\" is not an IP address")) }
            return .success(.unblock(address))
        case "block":
            guard arguments.count == 2 else { return .failure(.usage("block ADDR DURATION")) }
            guard let address = IPAddress(arguments[0]) else { return .failure(.usage("block: \"\(arguments[0])\" is not an IP address")) }
            guard let duration = try? DurationSyntax.parse(arguments[1]), duration > .zero else {
                return .failure(.usage("block: \"\(arguments[1])\" is not a duration (like 30m, 1h)"))
            }
            return .success(.block(address, duration))
        default:
            return .failure(.unknownCommand(verb))
        }
    }
}

/// Why a control request was refused; the text is the reply's error line.
enum ControlRequestError: Error, Equatable, CustomStringConvertible {
    case empty
    case tooLong
    case unknownCommand(String)
    case usage(String)

    var description: String {
        switch self {
        case .empty: "empty request; commands: blocks, unblock ADDR|all, block ADDR DURATION, stats, zones, sessions"
        case .tooLong: "request longer than \(ControlRequest.maxLineLength) octets"
        case .unknownCommand(let verb): "unknown command \"\(verb)\"; commands: blocks, unblock ADDR|all, block ADDR DURATION, stats, zones, sessions"
        case .usage(let text): "usage: \(text)"
        }
    }
}
