// CEpoll: the Linux headers Swift's Glibc module does not export (epoll, eventfd, timerfd,
// signalfd) plus GNU-only calls (accept4) wrapped in functions, because _GNU_SOURCE cannot
// reach system headers that the Glibc module has already built without it.
#ifndef CEPOLL_H
#define CEPOLL_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>

/// accept4(2); declared by glibc only under _GNU_SOURCE.
int cepoll_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/// errno, read through a function so Swift reads it right after the call it belongs to.
int cepoll_errno(void);

/// The packed epoll_event's fields, read and written without Swift touching the packed layout.
static inline uint64_t cepoll_event_data(const struct epoll_event *ev) { return ev->data.u64; }
static inline uint32_t cepoll_event_mask(const struct epoll_event *ev) { return ev->events; }
static inline size_t cepoll_event_size(void) { return sizeof(struct epoll_event); }

#endif
