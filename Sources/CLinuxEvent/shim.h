#ifndef RELAYGUARD_CLINUXEVENT_SHIM_H
#define RELAYGUARD_CLINUXEVENT_SHIM_H
/* The Linux event calls Swift's Glibc module map leaves out: epoll, eventfd, signalfd and
 * accept4. Thin wrappers with plain C types, so Swift calls them as ordinary functions.
 * The epoll_event array is passed as raw memory: its layout (packed on x86_64) is handled
 * in LinuxSystemCalls.swift. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <signal.h>

/* accept4 is declared only under _GNU_SOURCE; declare it here so this header does not depend
 * on how the system headers were first compiled. */
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

static inline int rg_epoll_create1(int flags) { return epoll_create1(flags); }
static inline int rg_epoll_ctl(int epfd, int op, int fd, void *event) {
    return epoll_ctl(epfd, op, fd, (struct epoll_event *)event);
}
static inline int rg_epoll_wait(int epfd, void *events, int max_events, int timeout) {
    return epoll_wait(epfd, (struct epoll_event *)events, max_events, timeout);
}
static inline int rg_eventfd(unsigned int initial, int flags) { return eventfd(initial, flags); }
static inline int rg_signalfd(int fd, const sigset_t *mask, int flags) { return signalfd(fd, mask, flags); }
static inline int rg_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return accept4(fd, address, length, flags);
}
#endif
