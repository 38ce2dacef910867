import CZlib

/// Decompresses gzip data (a rotated decision log, `decisions.jsonl.1.gz`) chunk by chunk with
/// the system zlib, so a compressed log is read in bounded memory like a plain one.
///
/// Several gzip members one after the other (what `cat a.gz b.gz` gives) are read as one stream.
///
/// Why a class with its `z_stream` on the heap: zlib keeps a pointer back to the stream and
/// refuses a stream that moved, and a Swift struct may move.
final class GzipInflater {
    enum Failure: Error, CustomStringConvertible {
        case corrupt(String)
        case truncated

        var description: String {
            switch self {
            case .corrupt(let why): "corrupt gzip data (\(why))"
            case .truncated: "gzip data ends in the middle of a member"
            }
        }
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private var isInitialized = false
    /// True between the end of one member and the first byte of the next.
    private var atMemberEnd = false
    private var output = [UInt8](repeating: 0, count: 256 * 1024)

    init() throws(Failure) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard czlib_inflate_init_gzip(stream) == Z_OK else {
            stream.deallocate()
            throw .corrupt("cannot initialise zlib")
        }
        isInitialized = true
    }

    deinit {
        if isInitialized { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Decompresses `input`, handing every decompressed piece to `body` as it comes.
    func inflate(_ input: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>) -> Void) throws(Failure) {
        var input = input
        while !input.isEmpty {
            if atMemberEnd {
                guard inflateReset(stream) == Z_OK else { throw .corrupt("cannot reset zlib") }
                atMemberEnd = false
            }
            var consumed = 0
            var status: Int32 = Z_OK
            input.withUnsafeBufferPointer { inputBytes in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBytes.baseAddress)
                stream.pointee.avail_in = uInt(inputBytes.count)
                repeat {
                    let produced = output.withUnsafeMutableBufferPointer { outputBytes -> Int in
                        stream.pointee.next_out = outputBytes.baseAddress
                        stream.pointee.avail_out = uInt(outputBytes.count)
                        status = CZlib.inflate(stream, Z_NO_FLUSH)
                        return outputBytes.count - Int(stream.pointee.avail_out)
                    }
                    if produced > 0 { body(output[0..<produced]) }
                } while status == Z_OK && (stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0)
                consumed = inputBytes.count - Int(stream.pointee.avail_in)
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
            }
            switch status {
            case Z_OK, Z_BUF_ERROR:
                break
            case Z_STREAM_END:
                atMemberEnd = true
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw .corrupt(message)
            }
            input = input.dropFirst(consumed)
            if consumed == 0 && !atMemberEnd { break }
        }
    }

    /// Checks that the data ended at the end of a member.
    func finish() throws(Failure) {
        guard atMemberEnd else { throw .truncated }
    }
}
