// ReadinessHandler: the object the event loop calls when its descriptor is ready.
//
// Contract: called on the loop thread only, once per `epoll_wait` report, with the events the
// kernel gave; never called after `EventLoop.deregister` for that descriptor, even when the report
// was already collected in the same batch. The loop holds the handler strongly while registered.
//
// Why a protocol and not a closure: each connection is its own handler, so registering costs one
// reference in the loop's table and no separately allocated closure context per connection.
public protocol ReadinessHandler: AnyObject {
    func handleReadiness(_ events: IOEvents)
}
