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
