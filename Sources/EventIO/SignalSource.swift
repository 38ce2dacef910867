// SignalSource: process signals delivered as ordinary events on the loop (signalfd).
//
// Contract:
// - Call `SignalSource.prepareProcess(for:)` first thing in `main`, before any thread starts: it
//   blocks the signals (threads created later inherit the mask, so no thread is interrupted
//   asynchronously) and ignores SIGPIPE (sends also use MSG_NOSIGNAL).
// - `init(signals:loop:onSignal:)` blocks the signals on the calling thread too (harmless when
//   already blocked; lets tests run without `prepareProcess`), opens a signalfd and calls
//   `onSignal` on the loop thread for each signal received. `close()` is idempotent.
//
// Why signalfd: a handler in signal context can do almost nothing safely; as a descriptor the
// signal is just another readiness report, handled with the loop's ordinary code (the man pages: SIGHUP
// reloads, SIGTERM drains, SIGHUP/SIGUSR1 reopen the log).
import Glibc

public final class SignalSource: ReadinessHandler {
    public enum Signal: CaseIterable, Sendable, CustomStringConvertible {
        /// SIGHUP: reload the configuration and maps; reopen the log file.
        case hangup
        /// SIGUSR1: reopen the log file (logrotate).
        case userDefined1
        /// SIGTERM: stop accepting, let sessions finish, exit.
        case terminate
        /// SIGINT: as SIGTERM (Ctrl-C in a terminal).
        case interrupt

        public var number: Int32 {
            switch self {
            case .hangup: SIGHUP
            case .userDefined1: SIGUSR1
            case .terminate: SIGTERM
            case .interrupt: SIGINT
            }
        }

        public init?(number: Int32) {
            guard let signal = Signal.allCases.first(where: { $0.number == number }) else { return nil }
            self = signal
        }

        public var description: String {
            switch self {
            case .hangup: "SIGHUP"
            case .userDefined1: "SIGUSR1"
            case .terminate: "SIGTERM"
            case .interrupt: "SIGINT"
            }
        }
    }

    public var onSignal: (Signal) -> Void
    public let loop: EventLoop
    private var fd: Int32

    /// Blocks `signals` on the calling thread (and so on threads it creates later) and ignores SIGPIPE.
    public static func prepareProcess(for signals: [Signal] = Signal.allCases) {
        var set = signalSet(signals)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    public init(signals: [Signal] = Signal.allCases, loop: EventLoop, onSignal: @escaping (Signal) -> Void) throws(SocketError) {
        var set = Self.signalSet(signals)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let fd = LinuxSystemCalls.signalFD(-1, &set, LinuxSystemCalls.nonBlocking | LinuxSystemCalls.closeOnExec)
        guard fd >= 0 else { throw SocketError.lastError("signalfd") }
        self.fd = fd
        self.loop = loop
        self.onSignal = onSignal
        do {
            try loop.register(fd, interest: .readable, handler: self)
        } catch {
            Socket.close(fd)
            throw error
        }
    }

    public var isOpen: Bool { fd >= 0 }

    public func close() {
        guard isOpen else { return }
        loop.deregister(fd)
        Socket.close(fd)
        fd = -1
    }

    public func handleReadiness(_ events: IOEvents) {
        var info = [UInt8](repeating: 0, count: LinuxSystemCalls.signalInfoSize)
        while isOpen {
            let count = info.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard count == LinuxSystemCalls.signalInfoSize else { return }  // EAGAIN: all read
            let number = info.withUnsafeBytes { $0.load(as: UInt32.self) }
            if let signal = Signal(number: Int32(number)) { onSignal(signal) }
        }
    }

    private static func signalSet(_ signals: [Signal]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal.number) }
        return set
    }
}
