/// A JSON value as read from a decision-log line by `JSONObjectParser`.
public enum JSONValue: Sendable, Equatable {
    case string(String)
    /// A number without fraction or exponent that fits an `Int`.
    case integer(Int)
    /// Any other number.
    case real(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([JSONField])

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var integerValue: Int? {
        if case .integer(let value) = self { return value }
        return nil
    }
}

/// One `"key": value` member of a JSON object, in the order written.
public struct JSONField: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}
