// DNSLookup: one pending question of a `DNSResolver`, and the handle its caller may cancel.
//
// Contract (loop thread only): the completion runs at most once; after `cancel()` it never runs,
// the query's IDs are forgotten (a late reply is ignored) and a TCP fallback in progress is
// closed. `isPending` is true until either happens.
import DNSBL
import EventIO

public final class DNSLookup {
    /// The query name as sent (absolute, with the trailing dot).
    public let name: String
    public let type: DNSQuery.RecordType
    /// The name a reply's question must carry: lower case, no trailing dot (as libresolv prints it).
    let questionName: String
    /// Every ID this lookup sent over UDP; a reply to any of them answers it.
    var ids: [UInt16] = []
    var attempts = 0
    var retryTimer: TimerHandle?
    var deadlineTimer: TimerHandle?
    var deadline: MonotonicClock.Instant
    var tcpExchange: DNSTCPExchange?
    var completion: ((DNSLookupOutcome) -> Void)?
    private weak var resolver: DNSResolver?

    init(name: String, type: DNSQuery.RecordType, deadline: MonotonicClock.Instant, resolver: DNSResolver,
         completion: @escaping (DNSLookupOutcome) -> Void) {
        self.name = name
        self.type = type
        var question = name.lowercased()
        while question.hasSuffix(".") { question.removeLast() }
        self.questionName = question
        self.deadline = deadline
        self.resolver = resolver
        self.completion = completion
    }

    public var isPending: Bool { completion != nil }

    public func cancel() {
        guard isPending else { return }
        resolver?.forget(self)
        completion = nil
    }
}

public enum DNSLookupOutcome: Sendable, Equatable {
    case answer(DNSAnswerSet, negativeTTL: UInt32?, overTCP: Bool)
    case timedOut
    case failed(String)
}
