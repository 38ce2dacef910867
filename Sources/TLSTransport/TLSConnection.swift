// TLSConnection: one TLS server session over memory BIOs, so the event loop keeps doing all
// socket I/O and OpenSSL never blocks or touches a descriptor.
//
// Contract: `receive(_:)` takes ciphertext read from the client and returns the plaintext it
// yields (during the handshake: none) and the handshake state; `send(_:)` takes plaintext and
// `takeOutgoing()` returns the ciphertext to write to the client (handshake messages, alerts
// and encrypted application data alike). A failure is reported once, with OpenSSL's reason.
import COpenSSL

public final class TLSConnection {
    public enum State: Equatable {
        case handshaking
        case established
        /// The client sent close_notify after a completed handshake: no more plaintext comes.
        case closedByPeer
        case failed(String)
    }

    private let ssl: OpaquePointer
    private let incoming: OpaquePointer   // BIO: ciphertext from the client
    private let outgoing: OpaquePointer   // BIO: ciphertext to the client
    public private(set) var state: State = .handshaking
    private let context: TLSServerContext  // kept alive as long as the session

    public init(context: TLSServerContext) throws(TLSError) {
        guard let ssl = SSL_new(context.context) else { throw TLSError.openSSL("SSL_new", TLSError.queuedErrors()) }
        guard let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError.openSSL("BIO_new", TLSError.queuedErrors())
        }
        _ = rg_bio_set_mem_eof_return(incoming, -1)
        _ = rg_bio_set_mem_eof_return(outgoing, -1)
        SSL_set_bio(ssl, incoming, outgoing)   // the SSL now owns both BIOs
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.incoming = incoming
        self.outgoing = outgoing
        self.context = context
    }

    deinit { SSL_free(ssl) }

    /// The negotiated protocol (`TLSv1.3`) and cipher, once established.
    public var protocolName: String { String(cString: SSL_get_version(ssl)) }
    public var cipherName: String {
        guard let cipher = SSL_get_current_cipher(ssl) else { return "" }
        return String(cString: SSL_CIPHER_get_name(cipher))
    }

    /// Feeds ciphertext; returns the plaintext it yields.
    public func receive(_ ciphertext: UnsafeRawBufferPointer) -> [UInt8] {
        if !ciphertext.isEmpty {
            _ = BIO_write(incoming, ciphertext.baseAddress, Int32(ciphertext.count))
        }
        if case .handshaking = state {
            let result = SSL_do_handshake(ssl)
            if result == 1 {
                state = .established
            } else {
                let error = SSL_get_error(ssl, result)
                if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
                    state = .failed(TLSError.queuedErrors())
                }
                return []
            }
        }
        guard case .established = state else { return [] }
        var plaintext: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 {
                plaintext.append(contentsOf: buffer[0..<Int(count)])
                continue
            }
            let error = SSL_get_error(ssl, count)
            if error == SSL_ERROR_ZERO_RETURN {
                state = .closedByPeer
            } else if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
                state = .failed(TLSError.queuedErrors())
            }
            break
        }
        return plaintext
    }

    /// Encrypts plaintext for the client; collect it with `takeOutgoing()`.
    public func send(_ plaintext: [UInt8]) {
        guard state == .established || state == .closedByPeer, !plaintext.isEmpty else { return }
        plaintext.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = SSL_write(ssl, buffer.baseAddress! + offset, Int32(buffer.count - offset))
                guard written > 0 else {
                    state = .failed(TLSError.queuedErrors())
                    return
                }
                offset += Int(written)
            }
        }
    }

    /// The ciphertext waiting to go to the client.
    public func takeOutgoing() -> [UInt8] {
        let pending = rg_bio_pending(outgoing)
        guard pending > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = bytes.withUnsafeMutableBytes { BIO_read(outgoing, $0.baseAddress, Int32($0.count)) }
        return read > 0 ? Array(bytes[0..<Int(read)]) : []
    }
}
