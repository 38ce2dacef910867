import Glibc
import Testing
@testable import ProxyServer

extension IOLayerTests {
    @Suite("Open-file limit")
    struct OpenFileLimitTests {
        struct CapacityCase: Sendable, CustomTestStringConvertible {
            var descriptors: Int
            var sessions: Int
            var testDescription: String { "\(descriptors) descriptors hold \(sessions) sessions" }
        }

        @Test("two descriptors a session, after the reserve", arguments: [
            CapacityCase(descriptors: 20_000, sessions: 9_968),   // this machine's hard limit
            CapacityCase(descriptors: 20_064, sessions: 10_000),  // exactly max_connections' default
            CapacityCase(descriptors: 1_024, sessions: 480),
            CapacityCase(descriptors: 256, sessions: 96),
            CapacityCase(descriptors: 65, sessions: 1),
            CapacityCase(descriptors: 10, sessions: 1),           // never zero: one session still runs
        ])
        func capacity(_ testCase: CapacityCase) {
            #expect(OpenFileLimit.sessionCapacity(descriptors: testCase.descriptors) == testCase.sessions)
        }

        @Test("raiseToHard leaves the soft limit equal to the hard one, and says so")
        func raise() {
            var before = rlimit()
            #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &before) == 0)
            var lowered = before
            lowered.rlim_cur = min(before.rlim_max, 512)
            #expect(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lowered) == 0)
            let soft = OpenFileLimit.raiseToHard()
            var after = rlimit()
            #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &after) == 0)
            #expect(after.rlim_cur == before.rlim_max || before.rlim_max == rlim_t.max)
            #expect(soft == Int(clamping: after.rlim_cur))
            #expect(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &before) == 0)
        }
    }
}
