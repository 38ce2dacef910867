/// The ESMTP parameters relayguard accepts on `MAIL FROM`, each checked for syntax
/// (values kept as sent; the proxy forwards the original bytes).
///
/// Why a closed list: the backend trusts relayguard, so a parameter relayguard cannot judge is
/// refused (`555 5.5.4`) rather than passed through unexamined. The list matches what the EHLO
/// reply relayed to the client advertises (BINARYMIME is accepted here as a BODY value but the
/// EHLO filter drops the extension, so well-behaved clients never send it).
public struct MailParameters: Equatable, Hashable, Sendable {
    /// `BODY=` (RFC 6152, RFC 3030).
    public enum Body: String, Hashable, Sendable, CaseIterable {
        case sevenBit = "7BIT"
        case eightBitMIME = "8BITMIME"
        case binaryMIME = "BINARYMIME"
    }

    /// `RET=` (RFC 3461): what a delivery status notification returns of the message.
    public enum DSNReturn: String, Hashable, Sendable, CaseIterable {
        case full = "FULL"
        case headers = "HDRS"
    }

    /// `SIZE=` (RFC 1870): the declared message size in octets.
    public var size: UInt64?
    /// `BODY=` (RFC 6152).
    public var body: Body?
    /// `SMTPUTF8` (RFC 6531), a parameter without value.
    public var smtpUTF8: Bool
    /// `RET=` (RFC 3461).
    public var dsnReturn: DSNReturn?
    /// `ENVID=` (RFC 3461), xtext as sent.
    public var envelopeID: String?
    /// `AUTH=` (RFC 4954): the authenticated submitter, xtext as sent, or `<>`.
    public var authenticatedSender: String?

    public init(
        size: UInt64? = nil, body: Body? = nil, smtpUTF8: Bool = false, dsnReturn: DSNReturn? = nil,
        envelopeID: String? = nil, authenticatedSender: String? = nil
    ) {
        self.size = size
        self.body = body
        self.smtpUTF8 = smtpUTF8
        self.dsnReturn = dsnReturn
        self.envelopeID = envelopeID
        self.authenticatedSender = authenticatedSender
    }
}
