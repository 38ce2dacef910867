/// How many decisions of each kind were logged for one reason.
public struct DecisionCounts: Sendable, Equatable {
    public var accept = 0
    public var reject = 0
    public var tempfail = 0
    public var drop = 0
    /// Records with no `decision` field or an unknown one.
    public var other = 0

    public init(accept: Int = 0, reject: Int = 0, tempfail: Int = 0, drop: Int = 0, other: Int = 0) {
        self.accept = accept
        self.reject = reject
        self.tempfail = tempfail
        self.drop = drop
        self.other = other
    }

    public var total: Int { accept + reject + tempfail + drop + other }

    mutating func count(_ decision: String?) {
        switch decision {
        case "accept": accept += 1
        case "reject": reject += 1
        case "tempfail": tempfail += 1
        case "drop": drop += 1
        default: other += 1
        }
    }
}
