import Glibc
import Testing
@testable import ProxyServer
@testable import EventIO

extension IOLayerTests {
    @Suite("SignalSource")
    struct SignalSourceTests {
        /// Raised on the loop thread, where SignalSource has blocked them, so they wait for the
        /// signalfd. SIGTERM and SIGINT take the same path; they are not raised here so that a bug
        /// leaving a signal unblocked cannot terminate the whole test process.
        @Test(arguments: [SignalSource.Signal.userDefined1, .hangup])
        func deliversRaisedSignalOnTheLoop(_ signal: SignalSource.Signal) async throws {
            let received: [SignalSource.Signal] = try await onLoopThread { loop, finish in
                var received: [SignalSource.Signal] = []
                var source: SignalSource!
                source = try SignalSource(signals: [signal], loop: loop) { got in
                    received.append(got)
                    source.close()
                    finish(received)
                }
                loop.runSoon { raise(signal.number) }  // raise() targets this (the loop) thread
            }
            #expect(received == [signal])
        }

        @Test("signal numbers map both ways")
        func numbers() {
            for signal in SignalSource.Signal.allCases {
                #expect(SignalSource.Signal(number: signal.number) == signal)
            }
            #expect(SignalSource.Signal(number: SIGKILL) == nil)
        }
    }
}
