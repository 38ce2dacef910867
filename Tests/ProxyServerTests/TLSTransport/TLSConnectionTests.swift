import COpenSSL
import Foundation
import Testing
@testable import ProxyServer
@testable import TLSTransport

/// A throwaway self-signed certificate made with the openssl command (from the OpenSSL that
/// relayguard links), in a temporary directory.
struct TestCertificate {
    let directory: String
    var certificate: String { directory + "/cert.pem" }
    var key: String { directory + "/key.pem" }

    static func make() throws -> TestCertificate {
        let directory = NSTemporaryDirectory() + "relayguard-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                             "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
                             "-days", "2", "-subj", "/CN=mx.test.example"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TLSError.openSSL("openssl req", "exit \(process.terminationStatus)") }
        return TestCertificate(directory: directory)
    }
}

/// The client side of a handshake, over memory BIOs, driven by the test.
final class TestTLSClient {
    let context: OpaquePointer
    let ssl: OpaquePointer
    let incoming: OpaquePointer
    let outgoing: OpaquePointer

    init(maxVersion: Int32? = nil) {
        context = SSL_CTX_new(TLS_client_method())!
        if let maxVersion { SSL_CTX_ctrl(context, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(maxVersion), nil); SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(maxVersion), nil) }
        SSL_CTX_set_security_level(context, 0)
        ssl = SSL_new(context)!
        incoming = BIO_new(BIO_s_mem())!
        outgoing = BIO_new(BIO_s_mem())!
        SSL_set_bio(ssl, incoming, outgoing)
        SSL_set_connect_state(ssl)
    }

    deinit { SSL_free(ssl); SSL_CTX_free(context) }

    func step() -> Int32 { SSL_do_handshake(ssl) }

    func take() -> [UInt8] {
        let pending = rg_bio_pending(outgoing)
        guard pending > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: pending)
        _ = bytes.withUnsafeMutableBytes { BIO_read(outgoing, $0.baseAddress, Int32($0.count)) }
        return bytes
    }

    func give(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        _ = bytes.withUnsafeBytes { BIO_write(incoming, $0.baseAddress, Int32($0.count)) }
    }

    func write(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) } }

    func read() -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
        return count > 0 ? String(decoding: buffer[0..<Int(count)], as: UTF8.self) : ""
    }
}

@Suite("TLS over memory BIOs")
struct TLSConnectionTests {
    /// Runs the handshake to its end by shuttling bytes both ways.
    func handshake(_ client: TestTLSClient, _ server: TLSConnection) {
        for _ in 0..<10 {
            _ = client.step()
            let toServer = client.take()
            _ = toServer.withUnsafeBytes { server.receive($0) }
            client.give(server.takeOutgoing())
            if server.state != .handshaking { break }
        }
        _ = client.step()
    }

    @Test("a TLS 1.3 handshake, then data both ways")
    func handshakeAndData() throws {
        let certificate = try TestCertificate.make()
        let server = try TLSConnection(context: TLSServerContext(certificateFile: certificate.certificate, keyFile: certificate.key))
        let client = TestTLSClient()
        handshake(client, server)
        #expect(server.state == .established)
        #expect(server.protocolName == "TLSv1.3")
        #expect(!server.cipherName.isEmpty)

        client.write("EHLO client.example\r\n")
        let plaintext = client.take().withUnsafeBytes { server.receive($0) }
        #expect(String(decoding: plaintext, as: UTF8.self) == "EHLO client.example\r\n")
        server.send(Array("250 mx.test.example\r\n".utf8))
        client.give(server.takeOutgoing())
        #expect(client.read() == "250 mx.test.example\r\n")
    }

    @Test("TLS 1.2 is accepted with an AEAD cipher")
    func tls12() throws {
        let certificate = try TestCertificate.make()
        let server = try TLSConnection(context: TLSServerContext(certificateFile: certificate.certificate, keyFile: certificate.key))
        let client = TestTLSClient(maxVersion: TLS1_2_VERSION)
        handshake(client, server)
        #expect(server.state == .established)
        #expect(server.protocolName == "TLSv1.2")
        #expect(server.cipherName.contains("GCM") || server.cipherName.contains("CHACHA20"))
    }

    @Test("TLS 1.1 is refused")
    func tls11Refused() throws {
        let certificate = try TestCertificate.make()
        let server = try TLSConnection(context: TLSServerContext(certificateFile: certificate.certificate, keyFile: certificate.key))
        let client = TestTLSClient(maxVersion: TLS1_1_VERSION)
        handshake(client, server)
        guard case .failed = server.state else {
            Issue.record("TLS 1.1 handshake was not refused: \(server.state)")
            return
        }
    }

    @Test("garbage instead of a ClientHello fails the handshake")
    func garbage() throws {
        let certificate = try TestCertificate.make()
        let server = try TLSConnection(context: TLSServerContext(certificateFile: certificate.certificate, keyFile: certificate.key))
        _ = Array("EHLO plaintext.example\r\n".utf8).withUnsafeBytes { server.receive($0) }
        guard case .failed = server.state else {
            Issue.record("plaintext was taken for a handshake: \(server.state)")
            return
        }
    }

    @Test("a missing certificate file is an error naming the file")
    func missingFile() {
        #expect(throws: TLSError.self) {
            _ = try TLSServerContext(certificateFile: "/nonexistent/cert.pem", keyFile: "/nonexistent/key.pem")
        }
        do {
            _ = try TLSServerContext(certificateFile: "/nonexistent/cert.pem", keyFile: "/nonexistent/key.pem")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/cert.pem: "))
        }
    }

    @Test("a key that does not match the certificate is refused")
    func mismatchedKey() throws {
        let first = try TestCertificate.make()
        let second = try TestCertificate.make()
        #expect(throws: TLSError.self) {
            _ = try TLSServerContext(certificateFile: first.certificate, keyFile: second.key)
        }
    }
}
