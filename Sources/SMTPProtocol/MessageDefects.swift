/// Octets in a message body that RFC 5321 forbids and that SMTP smuggling relies on.
///
/// Why they matter: MTAs disagree on whether `\n.\n`, `\r.\r` and the like end the data.
/// A message carrying them can hide a second message (the smuggled one) that the backend would
/// read as new commands from a client relayguard trusts (SEC Consult, December 2023).
public struct MessageDefects: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// A CR not followed by LF.
    public static let bareCR = MessageDefects(rawValue: 1 << 0)
    /// An LF not preceded by CR.
    public static let bareLF = MessageDefects(rawValue: 1 << 1)
    /// A NUL octet.
    public static let nul = MessageDefects(rawValue: 1 << 2)
}
