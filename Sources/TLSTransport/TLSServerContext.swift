// TLSServerContext: relayguard's side of STARTTLS — the certificate, the key and the protocol
// settings (the man pages keys tls_cert_file, tls_key_file).
//
// Contract: `init(certificateFile:keyFile:)` loads a PEM certificate chain and its private key
// and checks that they match; failure is an error naming the file. TLS 1.2 and 1.3 only,
// forward-secret AEAD ciphers for TLS 1.2 (TLS 1.3's suites are all AEAD), no compression, no
// renegotiation, no session cache and no session tickets. A reload (SIGHUP) builds a new context; sessions in
// progress keep the one they started with.
//
// Why these settings: port 25 senders are MTAs, not browsers; every current MTA speaks
// TLS 1.2 with ECDHE and AES-GCM or ChaCha20. Renegotiation and compression only add attacks.
import COpenSSL

public final class TLSServerContext {
    let context: OpaquePointer

    /// TLS 1.2 ciphers: ECDHE (or DHE) key exchange with AEAD only.
    static let cipherList = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!eNULL:!MD5:!DSS:!SHA1"

    public init(certificateFile: String, keyFile: String) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSError.openSSL("SSL_CTX_new", TLSError.queuedErrors()) }
        self.context = context
        _ = rg_ssl_ctx_set_min_tls12(context)
        _ = rg_ssl_ctx_set_options(context, rg_ssl_op_hardening())
        _ = rg_ssl_ctx_set_session_cache_off(context)
        // No TLS 1.3 session tickets: nothing resumes them (the cache is off), and each costs
        // an encryption and a write in every handshake.
        _ = SSL_CTX_set_num_tickets(context, 0)
        guard SSL_CTX_set_cipher_list(context, Self.cipherList) == 1 else {
            throw TLSError.openSSL("cipher list", TLSError.queuedErrors())
        }
        guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1 else {
            throw TLSError.file(certificateFile, "cannot load certificate chain: \(TLSError.queuedErrors())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1 else {
            throw TLSError.file(keyFile, "cannot load private key: \(TLSError.queuedErrors())")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError.file(keyFile, "private key does not match the certificate in \(certificateFile)")
        }
    }

    deinit { SSL_CTX_free(context) }
}

/// Why TLS could not be set up or went wrong.
public enum TLSError: Error, Equatable, CustomStringConvertible {
    case file(String, String)
    case openSSL(String, String)

    public var description: String {
        switch self {
        case .file(let path, let what): "\(path): \(what)"
        case .openSSL(let call, let what): "\(call): \(what)"
        }
    }

    /// Drains OpenSSL's error queue of this thread into one line.
    static func queuedErrors() -> String {
        var parts: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            parts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return parts.isEmpty ? "unknown error" : parts.joined(separator: "; ")
    }
}
