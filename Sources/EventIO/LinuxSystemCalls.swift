// LinuxSystemCalls: the few Linux calls the Glibc module map does not export.
//
// Contract: `epoll_create1`, `epoll_ctl`, `epoll_wait`, `eventfd`, `signalfd` and `accept4` with
// their C signatures and errno behaviour, plus the constants and the `struct epoll_event` layout
// they need. Nothing else in the module touches these names directly.
//
// Why: Swift's Glibc module map leaves out <sys/epoll.h>, <sys/eventfd.h>, <sys/signalfd.h> and
// the _GNU_SOURCE `accept4`; the CLinuxEvent module map (Sources/CLinuxEvent) exposes them
// through thin C wrappers. They are kept as `@convention(c)` values so a test can swap in a
// failing `accept4`. The constants are the kernel's stable ABI values.
import CLinuxEvent
import Glibc

enum LinuxSystemCalls {
    typealias EpollCreate1 = @convention(c) (Int32) -> Int32
    typealias EpollCtl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias EpollWait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
    typealias SignalFD = @convention(c) (Int32, UnsafePointer<sigset_t>?, Int32) -> Int32
    typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    static let epollCreate1: EpollCreate1 = rg_epoll_create1
    static let epollCtl: EpollCtl = rg_epoll_ctl
    static let epollWait: EpollWait = rg_epoll_wait
    static let eventFD: EventFD = rg_eventfd
    static let signalFD: SignalFD = rg_signalfd
    static let accept4: Accept4 = rg_accept4

    // <sys/epoll.h>
    static let EPOLLIN: UInt32 = 0x001
    static let EPOLLOUT: UInt32 = 0x004
    static let EPOLLERR: UInt32 = 0x008
    static let EPOLLHUP: UInt32 = 0x010
    static let EPOLL_CTL_ADD: Int32 = 1
    static let EPOLL_CTL_DEL: Int32 = 2
    static let EPOLL_CTL_MOD: Int32 = 3
    /// O_CLOEXEC, shared by EPOLL_CLOEXEC, EFD_CLOEXEC and SFD_CLOEXEC.
    static let closeOnExec: Int32 = 0o2000000
    /// O_NONBLOCK, shared by EFD_NONBLOCK, SFD_NONBLOCK and SOCK_NONBLOCK.
    static let nonBlocking: Int32 = 0o4000

    /// `struct epoll_event` is packed (12 bytes) on x86_64 and naturally aligned (16 bytes) elsewhere.
    #if arch(x86_64)
    static let epollEventSize = 12
    static let epollEventDataOffset = 4
    #else
    static let epollEventSize = 16
    static let epollEventDataOffset = 8
    #endif

    /// `struct signalfd_siginfo` is 128 bytes; `ssi_signo` (UInt32) comes first.
    static let signalInfoSize = 128
}
