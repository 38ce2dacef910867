/// A JSON string literal, escaped exactly as the decision log escapes its fields: one escaping
/// for every JSON relayguard writes (the decision log, `audit --json`, `report --json`).
public enum JSONString {
    /// `value` as a JSON string literal, quotes included.
    public static func quoted(_ value: String) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(value.utf8.count + 2)
        var value = value
        value.withUTF8 { JSONLineEncoder.appendEscaped($0, to: &out) }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}
