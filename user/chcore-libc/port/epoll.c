/* chcore-libc: epoll, on top of ppoll's waiting (fd.c). An epoll instance
 * is a description of its own type holding the interest list; epoll_pwait
 * turns the list into a pollfd array and waits exactly as ppoll does, in
 * the kernel. Level-triggered, as select and poll are; EPOLLONESHOT turns
 * an entry off once it has been reported (EPOLL_CTL_MOD turns it on);
 * EPOLLET is accepted and reported like level-triggered events (a program
 * written for edge triggering reads until EAGAIN, which works the same).
 * An entry goes when its fd is closed or reused for another description
 * (Linux keeps it while any fd refers to the description). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include "lock.h"
#include "chcore_fd.h"

struct ep_entry {
	int fd;
	struct chcore_fd *d;   /* the description it was added with (no reference) */
	uint32_t events;       /* asked for; 0 once a one-shot entry has fired */
	uint64_t data;
};

struct ep {
	volatile int lock[1];
	int n, cap;
	struct ep_entry *e;
};

static struct ep *ep_of(struct chcore_fd *d)
{
	return d->type == CHCORE_FD_EPOLL ? d->priv : 0;
}

static long ep_close(struct chcore_fd *d)
{
	struct ep *ep = d->priv;
	free(ep->e);
	free(ep);
	return 0;
}

static struct ep_entry *find(struct ep *ep, int fd)
{
	for (int i = 0; i < ep->n; i++)
		if (ep->e[i].fd == fd) return &ep->e[i];
	return 0;
}

/* Fills pfd from the entries whose fd still names their description
 * (dropping the others); returns how many. Caller holds ep->lock. */
static int snapshot(struct ep *ep, struct pollfd *pfd, int *which)
{
	int np = 0;
	for (int i = 0; i < ep->n;) {
		struct ep_entry *x = &ep->e[i];
		struct chcore_fd *now = __chcore_fd_get(x->fd);
		if (now) __chcore_fd_put(now);
		if (now != x->d) {
			ep->e[i] = ep->e[--ep->n];
			continue;
		}
		if (x->events & (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDNORM | EPOLLWRNORM)) {
			pfd[np].fd = x->fd;
			pfd[np].events = (short)(x->events & 0xffff);
			pfd[np].revents = 0;
			which[np++] = i;
		}
		i++;
	}
	return np;
}

/* An epoll fd is readable when one of its entries is ready (nested epoll,
 * select on an epoll fd): one look, no wait. */
static int ep_poll(struct chcore_fd *d, int events)
{
	struct ep *ep = d->priv;
	LOCK(ep->lock);
	int n = ep->n;
	struct pollfd pfd[n ? n : 1];
	int which[n ? n : 1];
	int np = snapshot(ep, pfd, which);
	UNLOCK(ep->lock);
	long r = np ? __chcore_poll_fds(pfd, (unsigned long)np, 0) : 0;
	return r > 0 ? events & (POLLIN | POLLRDNORM) : 0;
}

static const struct chcore_fd_ops ep_ops = {
	.close = ep_close,
	.poll = ep_poll,
};

CHCORE_LINUX_SYSCALL(epoll_create1)
{
	int flags = (int)a0;
	if (flags & ~EPOLL_CLOEXEC) return -EINVAL;
	struct ep *ep = calloc(1, sizeof *ep);
	if (!ep) return -ENOMEM;
	struct chcore_fd *d = __chcore_fd_new(CHCORE_FD_EPOLL, &ep_ops, O_RDWR, ep);
	if (!d) {
		free(ep);
		return -ENFILE;
	}
	d->name = "anon_inode:[eventpoll]";
	return __chcore_fd_install(d, 0, flags & EPOLL_CLOEXEC);
}

CHCORE_LINUX_SYSCALL(epoll_ctl)
{
	int op = (int)a1, fd = (int)a2;
	struct epoll_event ev;
	if (op != EPOLL_CTL_DEL && __chcore_copy_in(&ev, (const void *)a3, sizeof ev) < 0)
		return -EFAULT;
	struct chcore_fd *epd = __chcore_fd_get((int)a0);
	if (!epd) return -EBADF;
	struct chcore_fd *t = __chcore_fd_get(fd);
	long r = 0;
	struct ep *ep = ep_of(epd);
	if (!t)
		r = -EBADF;
	else if (!ep || t == epd)
		r = -EINVAL;
	else if (t->type == CHCORE_FD_FILE)
		r = -EPERM; /* regular files and directories cannot be polled, as on Linux */
	if (r < 0) goto out;
	LOCK(ep->lock);
	struct ep_entry *x = find(ep, fd);
	if (x && x->d != t) {
		/* The fd was closed and reused since: the old entry is gone. */
		*x = ep->e[--ep->n];
		x = 0;
	}
	switch (op) {
	case EPOLL_CTL_ADD:
		if (x) {
			r = -EEXIST;
		} else if (ep->n == ep->cap) {
			int cap = ep->cap ? ep->cap * 2 : 8;
			struct ep_entry *e = realloc(ep->e, (size_t)cap * sizeof *e);
			if (!e) {
				r = -ENOMEM;
				break;
			}
			ep->e = e;
			ep->cap = cap;
		}
		if (r == 0) {
			ep->e[ep->n++] = (struct ep_entry){fd, t, ev.events | EPOLLERR | EPOLLHUP, ev.data.u64};
		}
		break;
	case EPOLL_CTL_MOD:
		if (!x)
			r = -ENOENT;
		else {
			x->events = ev.events | EPOLLERR | EPOLLHUP;
			x->data = ev.data.u64;
		}
		break;
	case EPOLL_CTL_DEL:
		if (!x)
			r = -ENOENT;
		else
			*x = ep->e[--ep->n];
		break;
	default:
		r = -EINVAL;
	}
	UNLOCK(ep->lock);
out:
	if (t) __chcore_fd_put(t);
	__chcore_fd_put(epd);
	return r;
}

/* epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask, sigsetsize):
 * the signal mask is checked, then ignored (no signal interrupts a wait
 * yet). */
CHCORE_LINUX_SYSCALL(epoll_pwait)
{
	struct epoll_event *uev = (struct epoll_event *)a1;
	int max = (int)a2, timeout = (int)a3;
	if (max <= 0 || max > INT_MAX / (int)sizeof(struct epoll_event)) return -EINVAL;
	if (a4 && (unsigned long)a5 != 8) return -EINVAL;
	struct chcore_fd *epd = __chcore_fd_get((int)a0);
	if (!epd) return -EBADF;
	struct ep *ep = ep_of(epd);
	if (!ep) {
		__chcore_fd_put(epd);
		return -EINVAL;
	}
	unsigned long deadline = timeout < 0 ? ~0ul
	                         : __chcore_monotonic_ns() + (unsigned long)timeout * 1000000ul;
	long got = 0;
	for (;;) {
		LOCK(ep->lock);
		int n = ep->n;
		UNLOCK(ep->lock);
		struct pollfd pfd[n ? n : 1];
		int which[n ? n : 1];
		LOCK(ep->lock);
		int np = n == ep->n ? snapshot(ep, pfd, which) : -1;
		UNLOCK(ep->lock);
		if (np < 0) continue; /* the list grew meanwhile */
		long r = __chcore_poll_fds(pfd, (unsigned long)np, deadline);
		if (r < 0) {
			got = r;
			break;
		}
		struct epoll_event out[max < 64 ? max : 64];
		LOCK(ep->lock);
		for (int k = 0; k < np && got < max && got < 64; k++) {
			if (!pfd[k].revents || (pfd[k].revents & POLLNVAL)) continue;
			struct ep_entry *x = find(ep, pfd[k].fd);
			if (!x || x != &ep->e[which[k]] || !(x->events & 0xffff)) continue;
			out[got].events = (uint32_t)pfd[k].revents & (x->events | EPOLLERR | EPOLLHUP);
			out[got].data.u64 = x->data;
			if (x->events & EPOLLONESHOT) x->events &= ~0xffffu;
			got++;
		}
		UNLOCK(ep->lock);
		if (got > 0) {
			if (__chcore_copy_out(uev, out, (size_t)got * sizeof *out) < 0) got = -EFAULT;
			break;
		}
		if (r == 0 || __chcore_monotonic_ns() >= deadline) break;
	}
	__chcore_fd_put(epd);
	return got;
}
