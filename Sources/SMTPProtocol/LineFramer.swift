/// Cuts the client's command stream into SMTP lines.
///
/// Contract:
/// - Only CRLF ends a line. A bare CR or bare LF does not end it: the line goes on to the next
///   CRLF and is then reported as `.malformedLine` (so is a line containing NUL).
/// - Line limits, CRLF included: `mailRecipientLineLimit` (2048) octets for a line that starts,
///   in any case, with `MAIL` or `RCPT` followed by a space or `:`; `commandLineLimit` (512) for
///   every other line.
/// - An overlong line is reported as `.lineTooLong` as soon as the limit is exceeded, without
///   waiting for its CRLF. Everything up to and including the next CRLF is then discarded as it
///   arrives, never buffered, and never returned as a line, whatever it looks like.
/// - A CRLF may be split across `append` calls at any point; the result does not depend on how
///   the stream was cut.
///
/// Why: the backend trusts relayguard, so the framer must see exactly the lines the backend
/// would see (docs/ARCHITECTURE.md, protocol safety). A tail of an overlong line read as a new command would let a
/// client smuggle a command past policy; a bare LF read as a line end is SMTP smuggling.
///
/// Memory: the buffer holds what was appended and not yet consumed; bytes of an overlong line
/// beyond its limit are never stored. Consumed bytes are released with a read index and an
/// occasional compaction, so consuming a line costs one copy of that line only.
public struct LineFramer: Sendable {
    /// Limit for every command line but MAIL and RCPT, CRLF included (RFC 5321 section 4.5.3.1.4).
    public static let commandLineLimit = 512
    /// Limit for MAIL and RCPT lines, CRLF included: room for SIZE, AUTH= and DSN parameters
    /// (RFC 5321 section 4.5.3.1.4 as extended by RFC 1870, RFC 3461, RFC 4954).
    public static let mailRecipientLineLimit = 2048

    /// Compact the buffer only when at least this many consumed bytes sit before the read index.
    private static let compactionThreshold = 4096
    /// An emptied buffer keeps its capacity up to this size; a larger one is released.
    private static let retainedCapacity = 64 * 1024

    private var buffer: [UInt8] = []
    /// First byte of the current (incomplete) line.
    private var readIndex = 0
    /// Bytes in `readIndex..<scanIndex` are known to hold no line end; scanning resumes here.
    private var scanIndex = 0
    /// The first defect found in `readIndex..<scanIndex`.
    private var pendingDefect: LineDefect?
    /// True while the tail of an overlong line is being thrown away.
    private var discardingOverlongTail = false
    /// True when the last byte thrown away was a CR (the CRLF that ends the tail may be split).
    private var discardedCR = false

    public init() {}

    /// Bytes appended and not yet returned in an event: the proxy can stop reading from the
    /// client when this grows (backpressure while a pipelined group waits for its replies).
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// True while the rest of an overlong line is being discarded.
    public var isDiscardingOverlongLine: Bool { discardingOverlongTail }

    /// Up to `count` of the bytes not yet framed, for classifying what comes next (a PROXY
    /// signature, a TLS record, the next verb) without taking it. Empty while the tail of an
    /// overlong line is being thrown away.
    public func bufferedPrefix(_ count: Int) -> ArraySlice<UInt8> {
        guard !discardingOverlongTail else { return [] }
        return buffer[readIndex..<min(buffer.count, readIndex + count)]
    }

    /// Adds bytes read from the client.
    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if discardingOverlongTail && readIndex == buffer.count {
            // Throw the tail away straight from the input: it is never buffered.
            var sawCR = discardedCR
            let end: Int? = bytes.withContiguousStorageIfAvailable {
                Self.endOfTail(in: $0, sawCR: &sawCR)
            } ?? Array(bytes).withUnsafeBufferPointer {
                Self.endOfTail(in: $0, sawCR: &sawCR)
            }
            discardedCR = sawCR
            guard let end else { return }
            discardingOverlongTail = false
            discardedCR = false
            releaseConsumedBytes()
            buffer.append(contentsOf: bytes.dropFirst(end))
            return
        }
        releaseConsumedBytes()
        buffer.append(contentsOf: bytes)
    }

    /// The next line or problem in the stream, or nil when more bytes are needed.
    public mutating func nextEvent() -> FramerEvent? {
        if discardingOverlongTail {
            discardBufferedTail()
            if discardingOverlongTail { return nil }
        }
        guard readIndex < buffer.count else { return nil }

        let limit = lineLimit()
        let bound = min(buffer.count, readIndex + limit)
        var index = scanIndex
        var defect = pendingDefect
        var lineFeedIndex: Int? = nil
        buffer.withUnsafeBufferPointer { bytes in
            scan: while index < bound {
                let byte = bytes[index]
                if byte > 13 {
                    index &+= 1
                    continue
                }
                switch byte {
                case 13:
                    // Decide on a CR only when the next byte is within reach; else rescan it later.
                    guard index + 1 < bound else { break scan }
                    if bytes[index + 1] == 10 {
                        lineFeedIndex = index + 1
                        break scan
                    }
                    if defect == nil { defect = .bareCR }
                case 10:
                    // An LF preceded by CR was taken with its CR above: this one is bare.
                    if defect == nil { defect = .bareLF }
                case 0:
                    if defect == nil { defect = .nul }
                default:
                    break
                }
                index &+= 1
            }
        }

        if let lineFeedIndex {
            let line = Array(buffer[readIndex...lineFeedIndex])
            consume(upTo: lineFeedIndex + 1)
            if let defect {
                return .malformedLine(defect, line)
            }
            return .line(line)
        }
        if buffer.count - readIndex >= limit {
            // The first `limit` bytes hold no CRLF: the line is longer than allowed.
            discardedCR = buffer[readIndex + limit - 1] == 13
            discardingOverlongTail = true
            consume(upTo: readIndex + limit)
            discardBufferedTail()
            return .lineTooLong(limit: limit)
        }
        scanIndex = index
        pendingDefect = defect
        return nil
    }

    /// Returns every byte appended and not yet returned in an event, and empties the framer.
    /// The proxy calls this after a 354 to hand the message bytes to the DATA scanner, or after
    /// STARTTLS to throw away plaintext pipelined before the handshake.
    public mutating func takeBufferedBytes() -> [UInt8] {
        let rest = Array(buffer[readIndex...])
        buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedCapacity)
        readIndex = 0
        scanIndex = 0
        pendingDefect = nil
        discardingOverlongTail = false
        discardedCR = false
        return rest
    }

    // MARK: - Internals

    /// The limit for the line starting at `readIndex`. Only needed once at least
    /// `commandLineLimit` bytes are buffered, so the five-byte prefix is always known then.
    private func lineLimit() -> Int {
        guard buffer.count - readIndex >= 5 else { return Self.commandLineLimit }
        let lower = { (index: Int) -> UInt8 in self.buffer[self.readIndex + index] | 0x20 }
        let separator = buffer[readIndex + 4]
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: ":") else {
            return Self.commandLineLimit
        }
        let isMail = lower(0) == UInt8(ascii: "m") && lower(1) == UInt8(ascii: "a")
            && lower(2) == UInt8(ascii: "i") && lower(3) == UInt8(ascii: "l")
        let isRcpt = lower(0) == UInt8(ascii: "r") && lower(1) == UInt8(ascii: "c")
            && lower(2) == UInt8(ascii: "p") && lower(3) == UInt8(ascii: "t")
        return isMail || isRcpt ? Self.mailRecipientLineLimit : Self.commandLineLimit
    }

    /// Marks bytes before `end` as consumed and resets the line scan.
    private mutating func consume(upTo end: Int) {
        readIndex = end
        scanIndex = end
        pendingDefect = nil
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedCapacity)
            readIndex = 0
            scanIndex = 0
        }
    }

    /// Throws away buffered bytes of an overlong line's tail, up to and including its CRLF.
    private mutating func discardBufferedTail() {
        var sawCR = discardedCR
        let start = readIndex
        let end = buffer.withUnsafeBufferPointer {
            Self.endOfTail(in: UnsafeBufferPointer(rebasing: $0[start...]), sawCR: &sawCR)
        }
        if let end {
            discardingOverlongTail = false
            discardedCR = false
            consume(upTo: start + end)
        } else {
            discardedCR = sawCR
            consume(upTo: buffer.count)
        }
    }

    /// Drops consumed bytes from the front of the buffer when that is cheap enough: when nothing
    /// is left, or when the consumed prefix is large and at least half of the buffer.
    private mutating func releaseConsumedBytes() {
        if readIndex == buffer.count {
            if readIndex > 0 {
                buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedCapacity)
                readIndex = 0
                scanIndex = 0
            }
        } else if readIndex >= Self.compactionThreshold && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
    }

    /// The offset just past the CRLF that ends an overlong line's tail, or nil when `bytes`
    /// holds none. `sawCR` carries a CR seen at the end of the previous piece.
    private static func endOfTail(in bytes: UnsafeBufferPointer<UInt8>, sawCR: inout Bool) -> Int? {
        var previousWasCR = sawCR
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte == 10 && previousWasCR {
                sawCR = false
                return index + 1
            }
            previousWasCR = byte == 13
            index &+= 1
        }
        sawCR = previousWasCR
        return nil
    }
}

/// What `LineFramer.nextEvent()` found in the client's command stream.
public enum FramerEvent: Equatable, Sendable {
    /// One complete line exactly as received, CRLF included.
    case line([UInt8])
    /// A line longer than `limit` octets (CRLF included). Reported once, as soon as the limit is
    /// exceeded; the rest of the line is discarded up to and including the next CRLF and is
    /// never returned as a line.
    case lineTooLong(limit: Int)
    /// A complete, CRLF-terminated line (CRLF included) containing a bare CR, a bare LF or a NUL.
    /// The defect is the first one found in the line.
    case malformedLine(LineDefect, [UInt8])
}
