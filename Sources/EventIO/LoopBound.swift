// LoopBound: carries a loop-owned object through a `@Sendable` closure and back to its loop.
//
// Contract: create it on the loop thread; `value` may be read only on that loop's thread and
// traps elsewhere. Typical use: a job for another thread captures a `LoopBound<Session>` and hands
// its result back with `remote.execute { bound.value.finished(result) }`.
//
// Why `@unchecked Sendable`: the wrapper crosses threads but its content is only ever touched on
// the owning loop thread, which `value` checks at run time (the compiler cannot see thread
// ownership of a non-actor object).
public struct LoopBound<Value>: @unchecked Sendable {
    private let wrapped: Value
    private let remote: EventLoopRemote

    public init(_ value: Value, on loop: EventLoop) {
        precondition(loop.remote.isLoopThread, "LoopBound created off its loop thread")
        wrapped = value
        remote = loop.remote
    }

    public var value: Value {
        precondition(remote.isLoopThread, "LoopBound read off its loop thread")
        return wrapped
    }
}
