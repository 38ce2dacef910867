/// `backend_client_identity`: how the backend learns the real client (docs/ARCHITECTURE.md, protocol safety).
public enum BackendClientIdentity: String, Sendable, CaseIterable {
    /// HAProxy PROXY protocol, text header.
    case proxyV1 = "proxy-v1"
    /// HAProxy PROXY protocol, binary header.
    case proxyV2 = "proxy-v2"
    /// Postfix XCLIENT command.
    case xclient
    /// Nothing: the backend sees relayguard's own address.
    case none
}
