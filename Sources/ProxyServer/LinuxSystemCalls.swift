// LinuxSystemCalls: the few Linux calls the Glibc module map does not export.
//
// Contract: `epoll_create1`, `epoll_ctl`, `epoll_wait`, `eventfd`, `signalfd` and `accept4` with
// their C signatures and errno behaviour, plus the constants and the `struct epoll_event` layout
// they need. Nothing else in the module touches these names directly.
//
// Why: Swift's Glibc module map leaves out <sys/epoll.h>, <sys/eventfd.h>, <sys/signalfd.h> and
// the _GNU_SOURCE `accept4`. The clean fix is a system-library target with a three-line header;
// that needs a Package.swift change. Until then the symbols are looked up once in the already
// loaded libc with `dlsym` and called through `@convention(c)` pointers, which is the C ABI and
// therefore exact. The constants are the kernel's stable ABI values.
import Glibc

enum LinuxSystemCalls {
    typealias EpollCreate1 = @convention(c) (Int32) -> Int32
    typealias EpollCtl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias EpollWait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
    typealias SignalFD = @convention(c) (Int32, UnsafePointer<sigset_t>?, Int32) -> Int32
    typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    static let epollCreate1: EpollCreate1 = symbol("epoll_create1")
    static let epollCtl: EpollCtl = symbol("epoll_ctl")
    static let epollWait: EpollWait = symbol("epoll_wait")
    static let eventFD: EventFD = symbol("eventfd")
    static let signalFD: SignalFD = symbol("signalfd")
    static let accept4: Accept4 = symbol("accept4")

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

    private static func symbol<Function>(_ name: String) -> Function {
        guard let address = dlsym(nil, name) else {
            fatalError("libc has no \(name); relayguard needs Linux with glibc")
        }
        return unsafeBitCast(address, to: Function.self)
    }
}
