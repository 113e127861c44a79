/*
 * poller.c — readiness of the client sockets, through one epoll set of
 * the proxy's own.
 *
 * A libevent event costs 128 bytes per socket and a client needs two (read
 * and write), more than the rest of an idle client.  So client sockets are
 * kept in one epoll set (level-triggered, as libevent's events are) whose
 * descriptor is itself one libevent event: when it is readable, the ready
 * clients are fetched without blocking and handed to
 * proxy_client_ready().  Node connections and listeners stay on libevent.
 *
 * A client is only freed at the end of a loop turn, so a client that a
 * batch names is still there when its turn in the batch comes (it may be
 * closing; proxy_client_ready() checks).  A socket with nothing wanted is
 * removed from the set, so a paused client whose peer hung up does not
 * wake the loop again and again.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "shared/log.h"
#include "proxy/proxy.h"

/* Ready sockets taken per wake-up; more stay ready for the next turn. */
#define POLLER_BATCH 256

/* The epoll set is readable: dispatch the ready clients. */
static void
poller_callback(evutil_socket_t fd, short what, void *argument)
{
    struct epoll_event events[POLLER_BATCH];
    uint32_t mask;
    int count, i;

    (void)what;
    (void)argument;
    count = epoll_wait(fd, events, POLLER_BATCH, 0);
    for (i = 0; i < count; i++) {
        mask = events[i].events;
        proxy_client_ready(events[i].data.ptr,
                           (mask & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0,
                           (mask & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0);
    }
}

int
proxy_poller_init(struct proxy *proxy)
{
    proxy->client_poll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (proxy->client_poll_fd < 0) {
        log_warning("cannot create the client poller: %s", strerror(errno));
        return -1;
    }
    proxy->client_poll_event = event_new(proxy->base, proxy->client_poll_fd,
                                         EV_READ | EV_PERSIST, poller_callback, proxy);
    if (proxy->client_poll_event == NULL || event_add(proxy->client_poll_event, NULL) != 0) {
        log_warning("cannot watch the client poller");
        return -1;
    }
    return 0;
}

void
proxy_poller_free(struct proxy *proxy)
{
    if (proxy->client_poll_event != NULL) {
        event_free(proxy->client_poll_event);
        proxy->client_poll_event = NULL;
    }
    if (proxy->client_poll_fd >= 0) {
        close(proxy->client_poll_fd);
        proxy->client_poll_fd = -1;
    }
}

/* The epoll event bits of PROXY_POLL_* interest. */
static uint32_t
poller_events(unsigned int interest)
{
    return ((interest & PROXY_POLL_READ) ? EPOLLIN : 0) |
           ((interest & PROXY_POLL_WRITE) ? EPOLLOUT : 0);
}

int
proxy_poller_set(struct proxy *proxy, struct proxy_client *client, int fd,
                 unsigned int before, unsigned int after)
{
    struct epoll_event event;
    int operation;

    if (before == after) {
        return 0;
    }
    if (after == 0) {
        operation = EPOLL_CTL_DEL;
    } else if (before == 0) {
        operation = EPOLL_CTL_ADD;
    } else {
        operation = EPOLL_CTL_MOD;
    }
    event.events = poller_events(after);
    event.data.ptr = client;
    return epoll_ctl(proxy->client_poll_fd, operation, fd, &event);
}
