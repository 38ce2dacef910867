// DNSResolver: a non-blocking stub resolver on the event loop, for DNSBL lookups.
//
// Contract (loop thread only):
// - `lookup(_:type:timeout:completion:)` sends one UDP query and returns at once; the completion
//   runs exactly once on the loop thread, on a later turn, unless the lookup is cancelled:
//   `.answer` for the first reply that matches, `.timedOut` when `timeout` passes first,
//   `.failed` when the query could not be built or the TCP fallback broke.
// - Retry: when half of `timeout` has passed without a reply, the query is sent once more, with a
//   new ID, to the next server (the same one when there is only one); a reply to either attempt
//   answers it.
// - Matching: a reply counts only when its ID is one this lookup sent, it came back on the socket
//   that ID was sent from, QR is set, and its question is our name (case-insensitively) and type.
//   Anything else is ignored and counted (`statistics.repliesIgnored`); the lookup keeps waiting.
// - Truncation: a matching reply with TC set is asked again over TCP (2-byte length prefix,
//   non-blocking connect on the loop) to the same server, within what is left of `timeout`.
// - RFC 5452: every query (the retry too) goes out on a UDP socket of its own, opened for it and
//   closed when its lookup ends, whose source port the kernel picks at random from the ephemeral
//   range; its ID is drawn from the system random generator and is unique among pending queries.
//   An off-path forger must guess both, about 30 bits, for every single query.
// - Descriptors: a query holds its socket only while its lookup is pending (at most two per
//   lookup); `maxInFlight` bounds the lookups, so the sockets too. A socket that cannot be opened
//   (out of descriptors) makes that attempt a lost datagram: the retry or the deadline covers it.
// - `close()` cancels every lookup (no completion runs) and closes the sockets.
//
// Why half the timeout for the retry: the lookup must end within `dnsbl_timeout` (the session
// waits for it), and one lost datagram should not cost the whole budget.
import DNSBL
import EventIO

public final class DNSResolver {
    public let loop: EventLoop
    public let servers: [SocketAddress]
    /// Lookups in flight beyond this fail at once ("too many DNS queries in flight"): each holds
    /// a socket (two during its retry), and a resolver that stopped answering must not pile up
    /// descriptors and work without end.
    public var maxInFlight = 2_048
    public private(set) var statistics = DNSResolverStatistics()

    private var isClosed = false
    /// Pending IDs: the lookup and the socket the query with that ID went out on.
    private var pending: [UInt16: (lookup: DNSLookup, socket: DNSServerSocket)] = [:]
    /// Every lookup started and not yet finished or cancelled (it holds them alive).
    private var lookups: [ObjectIdentifier: DNSLookup] = [:]
    private var generator = SystemRandomNumberGenerator()

    /// A resolver asking `servers` (at least one). It opens no socket until a query needs one;
    /// the `throws` is kept for callers written when it opened its sockets here.
    public init(servers: [SocketAddress], loop: EventLoop) throws(SocketError) {
        precondition(!servers.isEmpty, "a resolver needs a server")
        self.servers = servers
        self.loop = loop
    }

    /// UDP sockets open right now (one per query in flight).
    public var openSockets: Int { pending.count }

    /// Lookups started and not yet finished or cancelled.
    public var pendingLookups: Int { lookups.count }

    /// Asks for `type` records of `name` (absolute, with a trailing dot); see the file comment.
    @discardableResult
    public func lookup(_ name: String, type: DNSQuery.RecordType, timeout: Duration,
                       completion: @escaping (DNSLookupOutcome) -> Void) -> DNSLookup {
        let start = loop.now()
        let lookup = DNSLookup(name: name, type: type, deadline: start.advanced(by: timeout), resolver: self, completion: completion)
        lookups[ObjectIdentifier(lookup)] = lookup
        guard lookups.count <= maxInFlight, !isClosed else {
            finishSoon(lookup, .failed("too many DNS queries in flight"))
            return lookup
        }
        do {
            try send(lookup, serverIndex: 0)
        } catch {
            finishSoon(lookup, .failed("bad query name \(name): \(error)"))
            return lookup
        }
        lookup.retryTimer = loop.schedule(after: timeout / 2) { [unowned self, unowned lookup] in
            lookup.retryTimer = nil
            retry(lookup)
        }
        lookup.deadlineTimer = loop.schedule(after: timeout) { [unowned self, unowned lookup] in
            lookup.deadlineTimer = nil
            statistics.timeouts += 1
            finish(lookup, .timedOut)
        }
        return lookup
    }

    /// Cancels every lookup and closes the sockets.
    public func close() {
        for lookup in Array(lookups.values) {
            lookup.cancel()
        }
        for (_, entry) in pending { entry.socket.close() }
        pending = [:]
        isClosed = true
    }

    // MARK: Sending

    private func send(_ lookup: DNSLookup, serverIndex: Int) throws {
        let id = freshID()
        let packet = try DNSQuery.make(name: lookup.name, type: lookup.type, id: id)
        lookup.attempts += 1
        // A fresh socket: connected to the server, so the kernel binds it to a random port.
        guard let socket = try? DNSServerSocket(server: servers[serverIndex % servers.count], loop: loop) else {
            statistics.socketFailures += 1
            return   // like a lost datagram: the retry or the deadline covers it
        }
        socket.onDatagram = { [unowned self, unowned socket] bytes in received(bytes, on: socket) }
        pending[id] = (lookup, socket)
        lookup.ids.append(id)
        statistics.queriesSent += 1
        _ = socket.send(packet)   // a datagram the kernel refused is a lost datagram: the retry covers it
    }

    private func retry(_ lookup: DNSLookup) {
        guard lookup.isPending, lookup.tcpExchange == nil else { return }
        statistics.retries += 1
        try? send(lookup, serverIndex: 1)   // the name was valid a moment ago
    }

    private func freshID() -> UInt16 {
        while true {
            let id = UInt16.random(in: .min ... .max, using: &generator)
            if pending[id] == nil { return id }
        }
    }

    // MARK: Receiving

    private func received(_ datagram: UnsafeRawBufferPointer, on socket: DNSServerSocket) {
        guard datagram.count >= 12 else { statistics.repliesIgnored += 1; return }
        let id = UInt16(datagram[0]) << 8 | UInt16(datagram[1])
        guard let entry = pending[id], entry.socket === socket,
              let answers = try? DNSAnswer.parse(Array(datagram)),
              matches(answers, entry.lookup) else {
            statistics.repliesIgnored += 1
            return
        }
        let lookup = entry.lookup
        if answers.isTruncated {
            startTCP(lookup, server: socket.server)
            return
        }
        finish(lookup, .answer(answers, negativeTTL: DNSNegativeTTL.seconds(in: Array(datagram)), overTCP: false))
    }

    private func matches(_ answers: DNSAnswerSet, _ lookup: DNSLookup) -> Bool {
        answers.isResponse && answers.questionType == lookup.type.rawValue
            && answers.questionName?.lowercased() == lookup.questionName
    }

    private func startTCP(_ lookup: DNSLookup, server: SocketAddress) {
        guard lookup.tcpExchange == nil else { return }
        statistics.tcpFallbacks += 1
        if let timer = lookup.retryTimer { loop.cancel(timer) }
        lookup.retryTimer = nil
        // UDP replies to this lookup are no longer wanted; its deadline still stands.
        dropQueries(of: lookup)
        let id = freshID()
        guard let query = try? DNSQuery.make(name: lookup.name, type: lookup.type, id: id) else {
            finish(lookup, .failed("bad query name \(lookup.name)"))
            return
        }
        let remaining = loop.now().duration(to: lookup.deadline)
        lookup.tcpExchange = DNSTCPExchange(server: server, query: query, connectTimeout: max(remaining, .milliseconds(1)), loop: loop) {
            [unowned self, unowned lookup] result in
            lookup.tcpExchange = nil
            switch result {
            case .failure(let failure):
                finish(lookup, .failed(failure.description))
            case .success(let message):
                guard let answers = try? DNSAnswer.parse(message), answers.id == id, matches(answers, lookup) else {
                    finish(lookup, .failed("tcp: reply does not match the query"))
                    return
                }
                finish(lookup, .answer(answers, negativeTTL: DNSNegativeTTL.seconds(in: message), overTCP: true))
            }
        }
    }

    // MARK: Finishing

    private func finishSoon(_ lookup: DNSLookup, _ outcome: DNSLookupOutcome) {
        loop.runSoon { [self] in finish(lookup, outcome) }
    }

    private func finish(_ lookup: DNSLookup, _ outcome: DNSLookupOutcome) {
        guard let completion = lookup.completion else { return }
        forget(lookup)
        lookup.completion = nil
        completion(outcome)
    }

    /// Drops everything the resolver holds for `lookup` (IDs, timers, TCP exchange).
    func forget(_ lookup: DNSLookup) {
        guard lookup.isPending else { return }
        dropQueries(of: lookup)
        if let timer = lookup.retryTimer { loop.cancel(timer) }
        if let timer = lookup.deadlineTimer { loop.cancel(timer) }
        lookup.retryTimer = nil
        lookup.deadlineTimer = nil
        lookup.tcpExchange?.cancel()
        lookup.tcpExchange = nil
        lookups.removeValue(forKey: ObjectIdentifier(lookup))
    }

    /// Forgets the UDP queries of `lookup` and closes their sockets (their ports are released).
    private func dropQueries(of lookup: DNSLookup) {
        for id in lookup.ids {
            pending.removeValue(forKey: id)?.socket.close()
        }
        lookup.ids = []
    }
}

public struct DNSResolverStatistics: Sendable, Equatable {
    /// UDP datagrams sent (first attempts and retries).
    public var queriesSent = 0
    /// Second attempts after the first went unanswered.
    public var retries = 0
    /// Datagrams that matched no pending query (unknown ID, wrong question, not a reply, unreadable).
    public var repliesIgnored = 0
    /// Truncated UDP replies that were asked again over TCP.
    public var tcpFallbacks = 0
    /// Lookups that ended without a reply.
    public var timeouts = 0
    /// Queries not sent because no socket could be opened for them (out of descriptors).
    public var socketFailures = 0

    public init() {}
}
