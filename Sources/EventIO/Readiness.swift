// IOEvents: what a descriptor is interested in, and what the kernel reported for it.
//
// Contract: `.readable` and `.writable` may be asked for; `.hangup` and `.error` are only ever
// reported (the kernel reports them whether asked or not). Values map one to one onto EPOLLIN,
// EPOLLOUT, EPOLLHUP and EPOLLERR.
public struct IOEvents: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    public static let readable = IOEvents(rawValue: LinuxSystemCalls.EPOLLIN)
    public static let writable = IOEvents(rawValue: LinuxSystemCalls.EPOLLOUT)
    public static let error = IOEvents(rawValue: LinuxSystemCalls.EPOLLERR)
    public static let hangup = IOEvents(rawValue: LinuxSystemCalls.EPOLLHUP)
}

public protocol ReadinessHandler: AnyObject {
    func handleReadiness(_ events: IOEvents)
}
