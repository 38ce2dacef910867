/// Finds the end of a message body and the octets that SMTP smuggling uses, in the bytes a
/// client sends after the backend answered DATA with 354. One scanner per message.
///
/// End of data is exactly CRLF "." CRLF (RFC 5321 section 4.1.1.4), where the first byte after
/// the 354 counts as the start of a line, so `.\r\n` right away is an empty message. It is found
/// across any split of the reads. Nothing else ends the data: `\n.\n`, `\n.\r\n`, `\r\n.\n`,
/// `\r.\r`, `\r\n.\r`, `\r\n\0.\r\n` and every other smuggling variant is just message content,
/// and is flagged in `defects` (bare CR, bare LF or NUL) so the session can refuse the message.
///
/// Bytes are not modified (dot-stuffed lines stay stuffed): relayguard forwards the message
/// byte for byte, and the backend undoes the stuffing.
///
/// Why it is written this way: it runs on every byte of every message. Between line ends it
/// skips eight bytes at a time, looking only for CR, LF and NUL; only those go through the
/// state machine. No allocation.
public struct DataScanner: Sendable {
    /// Where the scan stands in the end-of-data sequence CRLF "." CRLF.
    private enum Position: UInt8, Sendable {
        /// Inside a line, the previous byte is neither CR nor part of the sequence.
        case midLine
        /// The previous byte is a CR that is not after a line-start dot.
        case afterCR
        /// At the start of a line: after CRLF, or at the start of data.
        case lineStart
        /// After CRLF ".".
        case lineStartDot
        /// After CRLF "." CR.
        case lineStartDotCR
        /// The end of data was found; nothing more belongs to the message.
        case ended
    }

    private var position: Position = .lineStart
    /// Bare CR, bare LF and NUL seen anywhere in the message so far.
    public private(set) var defects: MessageDefects = []
    /// Bytes of the message so far, the end-of-data sequence included.
    public private(set) var messageBytes = 0

    public init() {}

    /// True once the end of data was found.
    public var isEndOfData: Bool { position == .ended }

    /// Scans one chunk. Returns how many bytes of it belong to the message (forward them; they
    /// include the final `.\r\n`), whether the end of data was found, and the defects seen so far.
    /// After the end of data, consumes nothing.
    public mutating func scan(_ chunk: UnsafeRawBufferPointer) -> DataScanResult {
        guard position != .ended, let base = chunk.baseAddress, chunk.count > 0 else {
            return DataScanResult(consumed: 0, isEndOfData: position == .ended, defects: defects)
        }
        let count = chunk.count
        var position = self.position
        var defects = self.defects
        var index = 0
        while index < count {
            if position == .midLine {
                index = Self.nextLineEndOrNUL(base, from: index, count: count)
                if index == count { break }
            }
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            index += 1
            position = Self.step(position, byte, &defects)
            if position == .ended { break }
        }
        self.position = position
        self.defects = defects
        messageBytes += index
        return DataScanResult(consumed: index, isEndOfData: position == .ended, defects: defects)
    }

    /// Scans one chunk held in an array.
    public mutating func scan(_ chunk: [UInt8]) -> DataScanResult {
        chunk.withUnsafeBytes { scan($0) }
    }

    /// Scans one chunk held in an array slice.
    public mutating func scan(_ chunk: ArraySlice<UInt8>) -> DataScanResult {
        chunk.withUnsafeBytes { scan($0) }
    }

    /// The state after one byte.
    @inline(__always)
    private static func step(_ position: Position, _ byte: UInt8, _ defects: inout MessageDefects) -> Position {
        switch position {
        case .midLine:
            return inLine(byte, &defects)
        case .afterCR:
            if byte == lf { return .lineStart }
            defects.insert(.bareCR)
            return inLine(byte, &defects)
        case .lineStart:
            if byte == dot { return .lineStartDot }
            return inLine(byte, &defects)
        case .lineStartDot:
            if byte == cr { return .lineStartDotCR }
            return inLine(byte, &defects)
        case .lineStartDotCR:
            if byte == lf { return .ended }
            defects.insert(.bareCR)
            return inLine(byte, &defects)
        case .ended:
            return .ended
        }
    }

    /// The state after a byte that does not continue the end-of-data sequence.
    /// Why a bare LF leads to `.midLine`: only CRLF starts a line, so `\n.\r\n` is not the end.
    @inline(__always)
    private static func inLine(_ byte: UInt8, _ defects: inout MessageDefects) -> Position {
        if byte == cr { return .afterCR }
        if byte == lf { defects.insert(.bareLF) } else if byte == 0 { defects.insert(.nul) }
        return .midLine
    }

    /// Index of the first CR, LF or NUL at or after `start`, or `count` when there is none.
    /// Tests eight bytes at a time (the "has zero byte" bit trick, once per wanted value).
    @inline(__always)
    private static func nextLineEndOrNUL(_ base: UnsafeRawPointer, from start: Int, count: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let crs = ones &* UInt64(cr)
        let lfs = ones &* UInt64(lf)
        var index = start
        while index &+ 8 <= count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let xcr = word ^ crs
            let xlf = word ^ lfs
            // A high bit is set in the lowest byte equal to CR, LF or NUL (and maybe in bytes above
            // it, which do not matter): borrows only travel upwards.
            let found = (((xcr &- ones) & ~xcr) | ((xlf &- ones) & ~xlf) | ((word &- ones) & ~word)) & highBits
            if found != 0 { return index &+ (found.trailingZeroBitCount &>> 3) }
            index &+= 8
        }
        while index < count {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte == cr || byte == lf || byte == 0 { return index }
            index &+= 1
        }
        return count
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let dot = UInt8(ascii: ".")
}

/// What `DataScanner.scan` found in one chunk of message bytes.
public struct DataScanResult: Hashable, Sendable {
    /// How many bytes at the front of the chunk belong to the message; forward exactly these.
    /// When `isEndOfData` is true they include the final `.\r\n`, and the bytes after them are
    /// the client's next commands (pipelining), for the command framer.
    public var consumed: Int
    /// True when the chunk completed the end-of-data sequence CRLF "." CRLF.
    public var isEndOfData: Bool
    /// Everything seen so far in this message, not only in this chunk.
    public var defects: MessageDefects

    public init(consumed: Int, isEndOfData: Bool, defects: MessageDefects) {
        self.consumed = consumed
        self.isEndOfData = isEndOfData
        self.defects = defects
    }
}
