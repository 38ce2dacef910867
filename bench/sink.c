/*
 * bench/sink.c -- the benchmark's backend: a fast SMTP sink (compiled by bench/run with gcc).
 *
 *   sink LISTEN_PORT STATS_FILE
 *
 * Why not Postfix's smtp-sink: it parses DATA line by line and tops out near 180 MB/s, so in
 * a throughput test the sink, not the proxy, would be measured. This sink:
 *   - is one thread with epoll (no select(), no fd-set limit): it holds 9,000+ connections;
 *   - reads with 1 MiB recv() calls and finds the end of data (CRLF "." CRLF, counting the
 *     start of data as the start of a line, across read boundaries) with memmem();
 *   - greets at once and skips a PROXY v1 or v2 header if one arrives first (relayguard and
 *     haproxy send one; smtp-source and proxsmtpd do not), so every peer can share it;
 *   - answers EHLO/HELO/MAIL/RCPT/RSET/NOOP with 250, DATA with 354, QUIT with 221, and
 *     supports pipelining (replies are written in order, once per read);
 *   - publishes its counters in STATS_FILE, an mmap()ed array of uint64 that the harness
 *     reads at any time: [0] messages, [1] message bytes, [2] open connections,
 *     [3] accepted connections.
 * It never stores message data.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum mode { MODE_PREAMBLE, MODE_COMMAND, MODE_DATA };

struct conn {
    int fd;
    enum mode mode;
    char line[4096];     /* command bytes not yet ended by LF (and the PROXY preamble) */
    size_t line_len;
    char tail[4];        /* DATA: the last bytes seen, for a terminator split across reads */
    size_t tail_len;
    uint64_t data_bytes;
    char *out;           /* replies not yet written (only when the socket was full) */
    size_t out_len, out_cap;
    int want_close;
};

static volatile uint64_t *stats;
static char readbuf[1 << 20];
static int epfd;

static void die(const char *what) { perror(what); exit(1); }

static void queue_out(struct conn *c, const char *s, size_t n) {
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap * 2 : 1024;
        while (cap < c->out_len + n) cap *= 2;
        c->out = realloc(c->out, cap);
        if (!c->out) die("realloc");
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, s, n);
    c->out_len += n;
}

static void reply(struct conn *c, const char *s) { queue_out(c, s, strlen(s)); }

static void close_conn(struct conn *c) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->out);
    free(c);
    stats[2]--;
}

/* Writes what is queued; returns -1 when the connection is gone. */
static int flush_out(struct conn *c) {
    size_t done = 0;
    while (done < c->out_len) {
        ssize_t n = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);
        if (n > 0) { done += (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        return -1;
    }
    memmove(c->out, c->out + done, c->out_len - done);
    c->out_len -= done;
    struct epoll_event ev = { .events = EPOLLIN | (c->out_len ? EPOLLOUT : 0), .data.ptr = c };
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
    if (c->out_len == 0 && c->want_close) return -1;
    return 0;
}

static int starts_with_verb(const char *line, size_t len, const char *verb) {
    size_t n = strlen(verb);
    if (len < n) return 0;
    return strncasecmp(line, verb, n) == 0;
}

static void command(struct conn *c, const char *line, size_t len) {
    if (starts_with_verb(line, len, "EHLO")) reply(c, "250-sink.bench\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 0\r\n");
    else if (starts_with_verb(line, len, "HELO")) reply(c, "250 sink.bench\r\n");
    else if (starts_with_verb(line, len, "MAIL") || starts_with_verb(line, len, "RCPT") ||
             starts_with_verb(line, len, "RSET") || starts_with_verb(line, len, "NOOP")) reply(c, "250 2.0.0 Ok\r\n");
    else if (starts_with_verb(line, len, "DATA")) {
        reply(c, "354 End data with <CR><LF>.<CR><LF>\r\n");
        c->mode = MODE_DATA;
        memcpy(c->tail, "\r\n", 2);  /* the start of data counts as the start of a line */
        c->tail_len = 2;
        c->data_bytes = 0;
    } else if (starts_with_verb(line, len, "QUIT")) { reply(c, "221 2.0.0 Bye\r\n"); c->want_close = 1; }
    else reply(c, "502 5.5.1 Unknown command\r\n");
}

/* DATA: consumes up to the end of data; returns the bytes used, or n when the end is not here. */
static size_t data(struct conn *c, const char *p, size_t n) {
    static const char end[] = "\r\n.\r\n";
    /* A terminator that starts in the tail: search tail + the first 4 bytes. */
    char window[8];
    size_t head = n < 4 ? n : 4;
    memcpy(window, c->tail, c->tail_len);
    memcpy(window + c->tail_len, p, head);
    char *hit = memmem(window, c->tail_len + head, end, 5);
    size_t used;
    if (hit) {
        used = (size_t)(hit - window) + 5 - c->tail_len;
    } else {
        char *h = memmem(p, n, end, 5);
        if (!h) {
            c->data_bytes += n;
            if (n >= 4) {
                memcpy(c->tail, p + n - 4, 4);
                c->tail_len = 4;
            } else {
                char joined[8];
                memcpy(joined, c->tail, c->tail_len);
                memcpy(joined + c->tail_len, p, n);
                size_t total = c->tail_len + n;
                size_t keep = total > 4 ? 4 : total;
                memcpy(c->tail, joined + total - keep, keep);
                c->tail_len = keep;
            }
            return n;
        }
        used = (size_t)(h - p) + 5;
    }
    c->data_bytes += used;
    stats[0]++;
    stats[1] += c->data_bytes;
    c->mode = MODE_COMMAND;
    reply(c, "250 2.0.0 Ok: queued\r\n");
    return used;
}

/* Bytes before the first command: a PROXY header (v2 binary, or v1 text line) or nothing. */
static int preamble(struct conn *c) {
    static const unsigned char v2sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };
    size_t have = c->line_len;
    size_t cmp = have < 12 ? have : 12;
    if (memcmp(c->line, v2sig, cmp) == 0) {
        if (have < 16) return 0;
        size_t total = 16 + (((unsigned char)c->line[14] << 8) | (unsigned char)c->line[15]);
        if (have < total) return 0;
        memmove(c->line, c->line + total, have - total);
        c->line_len = have - total;
    } else if (have >= 6 && memcmp(c->line, "PROXY ", 6) == 0) {
        char *lf = memchr(c->line, '\n', have);
        if (!lf) return 0;
        size_t total = (size_t)(lf - c->line) + 1;
        memmove(c->line, c->line + total, have - total);
        c->line_len = have - total;
    } else if (have < 6 && memcmp(c->line, "PROXY ", have) == 0) {
        return 0;
    }
    c->mode = MODE_COMMAND;
    return 1;
}

static void on_readable(struct conn *c) {
    for (;;) {
        ssize_t n = recv(c->fd, readbuf, sizeof readbuf, 0);
        if (n == 0) { close_conn(c); return; }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            close_conn(c);
            return;
        }
        size_t pos = 0;
        while (pos < (size_t)n) {
            if (c->mode == MODE_DATA) { pos += data(c, readbuf + pos, (size_t)n - pos); continue; }
            /* PREAMBLE and COMMAND: gather a line */
            char *lf = memchr(readbuf + pos, '\n', (size_t)n - pos);
            size_t take = lf ? (size_t)(lf - (readbuf + pos)) + 1 : (size_t)n - pos;
            if (c->mode == MODE_PREAMBLE) {
                /* The v2 header may hold any bytes, LF included: take what fits and decide. */
                take = (size_t)n - pos;
                if (take > sizeof c->line - c->line_len) take = sizeof c->line - c->line_len;
                memcpy(c->line + c->line_len, readbuf + pos, take);
                c->line_len += take;
                pos += take;
                if (!preamble(c)) continue;
                /* Whatever followed the header goes back through the command path. */
                size_t left = c->line_len;
                char tmp[sizeof c->line];
                memcpy(tmp, c->line, left);
                c->line_len = 0;
                size_t p2 = 0;
                while (p2 < left) {
                    if (c->mode == MODE_DATA) { p2 += data(c, tmp + p2, left - p2); continue; }
                    char *l2 = memchr(tmp + p2, '\n', left - p2);
                    if (!l2) { memcpy(c->line, tmp + p2, left - p2); c->line_len = left - p2; break; }
                    command(c, tmp + p2, (size_t)(l2 - (tmp + p2)) + 1);
                    p2 = (size_t)(l2 - tmp) + 1;
                }
                continue;
            }
            if (c->line_len + take > sizeof c->line) { c->line_len = 0; reply(c, "500 5.5.2 Line too long\r\n"); pos += take; continue; }
            memcpy(c->line + c->line_len, readbuf + pos, take);
            c->line_len += take;
            pos += take;
            if (lf) { command(c, c->line, c->line_len); c->line_len = 0; }
        }
        if ((size_t)n < sizeof readbuf) break;
    }
    if (c->out_len && flush_out(c) < 0) close_conn(c);
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: sink PORT STATS_FILE\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }

    int sfd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (sfd < 0 || ftruncate(sfd, 4096) < 0) die("stats file");
    stats = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
    if (stats == MAP_FAILED) die("mmap");

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
    if (listen(lfd, 65535) < 0) die("listen");

    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);
    struct epoll_event events[512];
    for (;;) {
        int n = epoll_wait(epfd, events, 512, -1);
        if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (!c) {
                for (;;) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *nc = calloc(1, sizeof *nc);
                    if (!nc) die("calloc");
                    nc->fd = fd;
                    nc->mode = MODE_PREAMBLE;
                    stats[2]++;
                    stats[3]++;
                    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = nc };
                    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
                    reply(nc, "220 sink.bench ESMTP\r\n");
                    if (flush_out(nc) < 0) close_conn(nc);
                }
                continue;
            }
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) { on_readable(c); continue; }
            if (events[i].events & EPOLLOUT) { if (flush_out(c) < 0) close_conn(c); }
        }
    }
}
