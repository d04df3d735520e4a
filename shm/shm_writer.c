/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_writer.c - the writer side of libsovereign: segment creation (trusted
 * directory, writers' lock, file, size, NUMA placement, mlock), and the
 * RT-safe publish paths.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm_internal.h"
#include "shm_reader.h"
#include "shm_seq.h"
#include "shm_writer.h"

#define SOV_DEFAULT_SLOTS  256u
#define SOV_DEFAULT_EVENTS 256u

struct sov_writer {
	struct sov_wfill fill;      /* first: the inline setters' view (shm_writer.h) */
	int fd;                     /* the segment file */
	int lock_fd;                /* its lock file, F_OFD_SETLK F_WRLCK held */
	char lock_path[PATH_MAX];   /* that lock file's name (sov_lock_path()) */
	uint8_t *base;              /* mapping of the whole layout */
	size_t map_len;             /* bytes mapped == header.total_size */
	struct sov_header *hdr;
	struct sov_sensor *sensors; /* table in the segment */
	uint8_t *ring;              /* slot 0 */
	struct sov_event *events;   /* event 0 */
	uint32_t sensors_max;
	uint32_t nsensors;
	uint32_t words;             /* bitmap words */
	uint32_t slot_size;
	uint32_t slot_mask;         /* nslots - 1 */
	uint32_t event_mask;        /* nevents - 1 */
	uint64_t head;              /* private copy of header.head */
	uint64_t event_head;        /* private copy of header.event_head */
	uint32_t hflags;            /* SOV_HF_* found at create */
	int mlock_err;              /* errno of a failed mlock, 0 if locked */
	int numa_err;               /* errno of a failed placement, 0 if placed */
	int numa_node;
	int cpu;
	uint8_t state_map[];        /* fill.state: words x 64 bytes */
};

uint32_t sov_sensor_id(uint16_t source, const char *chip, const char *name)
{
	uint32_t h = 2166136261u;          /* FNV-1a offset basis */
	const char *parts[2] = { chip ? chip : "", name ? name : "" };
	int i;

	h = (h ^ (uint8_t)(source & 0xff)) * 16777619u;
	h = (h ^ (uint8_t)(source >> 8)) * 16777619u;
	for (i = 0; i < 2; i++) {
		const char *p;

		h = (h ^ '/') * 16777619u;
		for (p = parts[i]; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
	}
	return h;
}

/* Resolve @group to a gid.  Return: 0, -SOV_ENOGROUP, or -errno. */
static int group_gid(const char *group, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];
	int rc = getgrnam_r(group, &gr, buf, sizeof(buf), &res);

	if (rc)
		return -rc;
	if (!res)
		return -SOV_ENOGROUP;
	*gid = res->gr_gid;
	return 0;
}

/* Copy @src into the fixed field @dst of @len bytes, always NUL-terminated. */
static void copy_name(char *dst, const char *src, size_t len)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	memset(dst + n, 0, len - n);
}

/*
 * Place the mapping on the NUMA node of the calling CPU.  mbind() directly,
 * not numa_tonode_memory(): libnuma's helpers report errors by printing to
 * stderr, and this library never prints.  MPOL_MF_MOVE migrates pages a
 * previous writer already faulted in elsewhere.
 */
static int place_numa(struct sov_writer *w)
{
	unsigned long mask[16] = { 0 };
	int node;

	if (numa_available() < 0)
		return -ENOSYS;
	if (w->cpu < 0)
		return -ENODEV;
	node = numa_node_of_cpu(w->cpu);
	if (node < 0)
		return -errno;
	if ((unsigned)node >= sizeof(mask) * 8)
		return -ERANGE;
	mask[node / (8 * sizeof(long))] |= 1ul << (node % (8 * sizeof(long)));
	if (mbind(w->base, w->map_len, MPOL_PREFERRED, mask, sizeof(mask) * 8,
		  MPOL_MF_MOVE))
		return -errno;
	w->numa_node = node;
	return 0;
}

uint64_t sov_writer_note(struct sov_writer *w, uint16_t type, uint16_t sev, int64_t value,
			 const char *text)
{
	struct sov_event ev = {
		.mono_ns = sov_now_ns(CLOCK_MONOTONIC),
		.real_ns = sov_now_ns(CLOCK_REALTIME),
		.value = value,
		.sensor = SOV_NO_SENSOR,
		.type = type,
		.severity = sev,
	};

	copy_name(ev.text, text, sizeof(ev.text));
	return sov_writer_event(w, &ev);
}

/*
 * Start a generation: header, table, empty rings.  The old generation's
 * readers may still be copying: the generation bump comes first, ordered
 * before every other store, so each of them fails its generation check.
 */
static void writer_init_generation(struct sov_writer *w, const char *writer_name,
				   uint64_t period_ns, const struct sov_sensor *sensors,
				   uint32_t nsensors, uint64_t old_gen)
{
	struct sov_header *h = w->hdr;
	uint64_t starttime = 0;

	CMM_STORE_SHARED(h->state, SOV_STATE_INIT);
	/*
	 * Orders INIT before the new generation.  Pairs with the rmb between
	 * the generation and state loads in snapshot_header() (shm_reader.c):
	 * a reader that sees the new generation also sees INIT (or the LIVE
	 * that ends this function), so it never takes an older LIVE for this
	 * generation's.
	 */
	cmm_smp_wmb();
	CMM_STORE_SHARED(h->generation, old_gen + 1);
	/*
	 * Orders the generation store before all re-initialisation stores
	 * below.  Pairs with the rmb before the final generation load of every
	 * reader copy (sov_seq_read_retry(), check_gen(), the header copy in
	 * snapshot_header()): a reader that copied re-initialised bytes sees
	 * the new generation and discards its copy.
	 */
	cmm_smp_wmb();

	h->magic = SOV_MAGIC;
	h->abi_version = SOV_ABI_VERSION;
	h->header_size = sizeof(struct sov_header);
	h->sensor_size = sizeof(struct sov_sensor);
	h->slot_hdr_size = sizeof(struct sov_slot);
	h->reading_size = sizeof(struct sov_reading);
	h->event_size = sizeof(struct sov_event);
	h->sensors_max = w->sensors_max;
	h->nsensors = nsensors;
	h->bitmap_words = w->words;
	h->slot_size = w->slot_size;
	h->nslots = w->slot_mask + 1;
	h->nevents = w->event_mask + 1;
	h->sensor_off = (uint64_t)((uint8_t *)w->sensors - w->base);
	h->ring_off = (uint64_t)(w->ring - w->base);
	h->event_off = (uint64_t)((uint8_t *)w->events - w->base);
	h->total_size = w->map_len;
	h->period_ns = period_ns;
	h->created_real_ns = sov_now_ns(CLOCK_REALTIME);
	h->created_mono_ns = sov_now_ns(CLOCK_MONOTONIC);
	h->writer_pid = (int32_t)getpid();
	if (sov_proc_starttime(getpid(), &starttime))
		starttime = 0;
	h->writer_starttime = starttime;
	h->writer_cpu = w->cpu;
	h->numa_node = w->numa_node;
	h->flags = w->hflags;
	if (sov_boot_id(h->boot_id))
		memset(h->boot_id, 0, sizeof(h->boot_id));
	copy_name(h->writer_name, writer_name ? writer_name : "", sizeof(h->writer_name));
	memset(h->pad0_, 0, sizeof(h->pad0_));

	memset(w->sensors, 0, (size_t)w->sensors_max * sizeof(*w->sensors));
	if (nsensors) /* an empty set may come as NULL: memcpy(NULL) is undefined even for 0 */
		memcpy(w->sensors, sensors, (size_t)nsensors * sizeof(*sensors));
	/* Sequences restart even: nobody of this generation has seen them. */
	memset(w->ring, 0, (size_t)w->slot_size * (w->slot_mask + 1));
	memset(w->events, 0, sizeof(*w->events) * (w->event_mask + 1));
	memset(w->state_map, SOV_WF_UNSET, 64u * w->words);
	w->fill.open = 0;
	w->fill.nsensors = nsensors;
	w->nsensors = nsensors;
	w->head = 0;
	w->event_head = 0;
	h->table_seq = 0;
	h->head = 0;
	h->event_head = 0;
	h->heartbeat_mono_ns = 0;

	/*
	 * Orders the whole initialisation before LIVE.  Pairs with the rmb
	 * after the state load in snapshot_header() (shm_reader.c): a reader
	 * that sees LIVE sees a complete header and table.
	 */
	cmm_smp_wmb();
	CMM_STORE_SHARED(h->state, SOV_STATE_LIVE);
}

/*
 * Open the directory of segment file @path, creating it (mode 0750, group
 * @gid) if missing, and check it is one a squatter cannot have made or
 * write into: a real directory (not a symlink), owned by root or by us,
 * writable by its owner only.  Return: the directory's fd, -SOV_EFOREIGN
 * or -errno.
 */
static int dir_open(const char *path, gid_t gid)
{
	const char *base = strrchr(path, '/');
	char dir[PATH_MAX];
	struct stat st;
	int fd, rc, created = 0;

	snprintf(dir, sizeof(dir), "%.*s", base == path ? 1 : (int)(base - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (mkdir(dir, 0750) == 0)
			created = 1;
		else if (errno != EEXIST)
			return -errno;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return errno == ELOOP || errno == ENOTDIR ? -SOV_EFOREIGN : -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
		goto err_close;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		rc = -SOV_EFOREIGN;
		goto err_close;
	}
	/* Ours and new: the umask may have narrowed 0750 (readers must traverse it). */
	if (created && st.st_uid == geteuid() &&
	    (fchmod(fd, 0750) || (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid)))) {
		rc = -errno;
		goto err_close;
	}
	if (!created && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		rc = -SOV_EFOREIGN; /* others could create or swap files in it */
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return rc;
}

/*
 * Open file @name in directory @dfd for writing, creating it with @mode,
 * never through a symlink (O_NOFOLLOW), never blocking on a FIFO
 * (O_NONBLOCK), and check that it is a regular file of ours with no other
 * name (a hard link would make our fchmod/ftruncate act on another file).
 * Return: the fd, -SOV_EFOREIGN or -errno.
 */
static int own_file_open(int dfd, const char *name, mode_t mode, struct stat *st)
{
	int fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);

	if (fd < 0)
		return errno == ELOOP ? -SOV_EFOREIGN : -errno;
	if (fstat(fd, st)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (!S_ISREG(st->st_mode) || st->st_uid != geteuid() || st->st_nlink != 1) {
		close(fd);
		return -SOV_EFOREIGN;
	}
	return fd;
}

/* The whole-file OFD write lock of the writers: needs an fd open for writing. */
static int lock_wr(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET }; /* l_len 0: whole file */

	return fcntl(fd, F_OFD_SETLK, &fl) ? -errno : 0;
}

/*
 * Take the writers' lock of a segment: an OFD write lock on its lock file
 * @lpath (sov_lock_path(), in directory @dfd), mode 0600.  Not a lock on
 * the segment: a reader's read-only fd cannot take a write lock, but it
 * can take a read lock (F_RDLCK), or flock(), and either would keep a
 * writer out.  The
 * lock file is the writers' own; the kernel drops the lock when its
 * holder dies.  Return: the lock fd, -SOV_EOWNED (a live writer holds it),
 * -SOV_EFOREIGN, -EAGAIN (the lock file kept being replaced), or -errno.
 */
static int writer_lock(int dfd, const char *lpath)
{
	const char *lname = strrchr(lpath, '/') + 1;
	struct stat st, now;
	int fd, i, rc;

	for (i = 0; i < SOV_READ_RETRIES; i++) {
		fd = own_file_open(dfd, lname, 0600, &st);
		if (fd < 0)
			return fd;
		if ((st.st_mode & 0777) != 0600 && fchmod(fd, 0600)) {
			rc = -errno;
			close(fd);
			return rc;
		}
		rc = lock_wr(fd);
		if (rc) {
			close(fd);
			return rc == -EAGAIN || rc == -EACCES ? -SOV_EOWNED : rc;
		}
		/*
		 * sov_shm_unlink() removes a lock file it could lock, and
		 * sov_writer_close() the one of an unlinked segment: if that
		 * happened between our open and our lock, ours guards an
		 * unlinked file and the next writer would make a new one.  Locked and still
		 * the file under the name: ours.
		 */
		if (fstatat(dfd, lname, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_dev == st.st_dev && now.st_ino == st.st_ino)
			return fd;
		close(fd);
	}
	return -EAGAIN;
}

/* writer_opts() - @opts with the defaults filled in, checked.  0 or -EINVAL. */
static int writer_opts(const struct sov_writer_opts *opts, const struct sov_sensor *sensors,
		       uint32_t nsensors, struct sov_writer_opts *o)
{
	*o = opts ? *opts : (struct sov_writer_opts){ 0 };
	if (!o->sensors_max)
		o->sensors_max = nsensors ? nsensors : 1;
	if (!o->nslots)
		o->nslots = SOV_DEFAULT_SLOTS;
	if (!o->nevents)
		o->nevents = SOV_DEFAULT_EVENTS;
	if ((nsensors && !sensors) || nsensors > o->sensors_max ||
	    o->sensors_max > SOV_SENSORS_MAX_LIMIT ||
	    !sov_is_pow2(o->nslots) || o->nslots < 4 || o->nslots > SOV_NSLOTS_MAX ||
	    !sov_is_pow2(o->nevents) || o->nevents < 4 || o->nevents > SOV_NEVENTS_MAX)
		return -EINVAL;
	return 0;
}

/* The segment's layout: where each part starts, and its whole length. */
struct writer_layout {
	uint64_t sensor_off, ring_off, event_off, total;
};

/* writer_alloc() - a writer for @o, its layout computed; nothing open yet.  NULL: -ENOMEM. */
static struct sov_writer *writer_alloc(const struct sov_writer_opts *o, struct writer_layout *l)
{
	struct sov_writer *w = calloc(1, sizeof(*w) + 64u * sov_bitmap_words(o->sensors_max));

	if (!w)
		return NULL;
	w->fill.state = w->state_map;
	w->fd = -1;
	w->lock_fd = -1;
	w->numa_node = -1;
	w->cpu = sched_getcpu();
	w->sensors_max = o->sensors_max;
	w->words = sov_bitmap_words(o->sensors_max);
	w->slot_size = (uint32_t)sov_slot_size(o->sensors_max);
	w->slot_mask = o->nslots - 1;
	w->event_mask = o->nevents - 1;

	l->sensor_off = sov_align_up(sizeof(struct sov_header));
	l->ring_off = sov_align_up(l->sensor_off +
				   (uint64_t)o->sensors_max * sizeof(struct sov_sensor));
	l->event_off = sov_align_up(l->ring_off + (uint64_t)o->nslots * w->slot_size);
	l->total = sov_align_up(l->event_off + (uint64_t)o->nevents * sizeof(struct sov_event));
	w->map_len = (size_t)l->total;
	return w;
}

/*
 * writer_open_file() - lock @path's lock file, then open the segment file
 * itself (0640, group @gid) and grow it to @total: w->lock_fd and w->fd.
 * Return: 0, or -errno with nothing left open.
 */
static int writer_open_file(struct sov_writer *w, const char *path, gid_t gid, uint64_t total,
			    struct stat *st)
{
	int rc, dfd = dir_open(path, gid);

	if (dfd < 0)
		return dfd;
	/* Held for the writer's life; the kernel drops it when we die. */
	rc = sov_lock_path(path, w->lock_path, sizeof(w->lock_path));
	w->lock_fd = rc ? rc : writer_lock(dfd, w->lock_path);
	if (w->lock_fd < 0) {
		rc = w->lock_fd;
		close(dfd);
		return rc;
	}
	/*
	 * Locked: a file left under the name by a previous writer of ours is
	 * stale and taken over (its generation continues); anything else
	 * there -- another user's file, a symlink, a FIFO, a hard link -- is
	 * refused, never followed nor changed.
	 */
	w->fd = own_file_open(dfd, strrchr(path, '/') + 1, 0640, st);
	close(dfd);
	if (w->fd < 0) {
		rc = w->fd;
		goto err_unlock;
	}
	/* Never world-readable: fast energy counters are a side channel (PLATYPUS). */
	if (fchmod(w->fd, 0640) || (gid != (gid_t)-1 && fchown(w->fd, (uid_t)-1, gid)) ||
	    /* Grow only: readers of the previous generation keep their mapping valid. */
	    ((uint64_t)st->st_size < total && ftruncate(w->fd, (off_t)total))) {
		rc = -errno;
		close(w->fd);
		w->fd = -1;
		goto err_unlock;
	}
	return 0;

err_unlock:
	close(w->lock_fd);
	w->lock_fd = -1;
	return rc;
}

/*
 * writer_map() - map the segment, point at its parts, and note the
 * generation a previous writer of this object left (*@old_gen, 0 if none).
 * Then place it on the writer's NUMA node and lock it in memory, both
 * best effort (noted in the header flags).  Return: 0 or -errno (mmap).
 */
static int writer_map(struct sov_writer *w, const struct writer_layout *l, const struct stat *st,
		      uint64_t *old_gen)
{
	int rc;

	w->base = mmap(NULL, w->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd, 0);
	if (w->base == MAP_FAILED) {
		w->base = NULL;
		return -errno;
	}
	w->hdr = (struct sov_header *)w->base;
	w->sensors = (struct sov_sensor *)(w->base + l->sensor_off);
	w->ring = w->base + l->ring_off;
	w->events = (struct sov_event *)(w->base + l->event_off);
	*old_gen = 0;
	if ((uint64_t)st->st_size >= sizeof(struct sov_header) && w->hdr->magic == SOV_MAGIC)
		*old_gen = w->hdr->generation;

	rc = place_numa(w);
	if (rc) {
		w->numa_err = -rc;
		w->hflags |= SOV_HF_NO_NUMA;
	}
	/* mlock also pre-faults every page, so the first publish takes no fault. */
	if (mlock(w->base, w->map_len)) {
		w->mlock_err = errno;
		w->hflags |= SOV_HF_NOT_LOCKED;
	}
	return 0;
}

int sov_writer_create(const struct sov_writer_opts *opts,
		      const struct sov_sensor *sensors, uint32_t nsensors,
		      struct sov_writer **out)
{
	struct sov_writer_opts o;
	struct writer_layout l;
	struct sov_writer *w;
	struct stat st;
	gid_t gid = (gid_t)-1;
	uint64_t old_gen = 0;
	char path[PATH_MAX];
	int rc;

	*out = NULL;
	rc = writer_opts(opts, sensors, nsensors, &o);
	if (!rc)
		rc = sov_shm_path(o.name, path, sizeof(path));
	if (!rc && o.group)
		rc = group_gid(o.group, &gid);
	if (rc)
		return rc;
	w = writer_alloc(&o, &l);
	if (!w)
		return -ENOMEM;
	rc = writer_open_file(w, path, gid, l.total, &st);
	if (rc)
		goto err_free;
	rc = writer_map(w, &l, &st, &old_gen);
	if (rc)
		goto err_close;

	writer_init_generation(w, o.writer_name, o.period_ns, sensors, nsensors, old_gen);
	sov_writer_note(w, SOV_EV_WRITER_START, SOV_SEV_INFO, (int64_t)w->hdr->generation,
		    "writer started");
	if (w->mlock_err)
		sov_writer_note(w, SOV_EV_DEGRADED, SOV_SEV_WARNING, w->mlock_err,
			    "mlock failed: segment pages may be swapped out");
	if (w->numa_err && w->numa_err != ENOSYS)
		sov_writer_note(w, SOV_EV_DEGRADED, SOV_SEV_NOTICE, w->numa_err,
			    "NUMA placement failed: pages on any node");
	*out = w;
	return 0;

err_close:
	close(w->fd);
	close(w->lock_fd);
err_free:
	free(w);
	return rc;
}

int sov_writer_reset(struct sov_writer *w, const struct sov_sensor *sensors,
		     uint32_t nsensors)
{
	struct sov_header *h = w->hdr;

	if (nsensors && !sensors)
		return -EINVAL;
	if (nsensors > w->sensors_max)
		return -E2BIG;
	writer_init_generation(w, h->writer_name, h->period_ns, sensors, nsensors,
			       h->generation);
	sov_writer_note(w, SOV_EV_WRITER_START, SOV_SEV_INFO, (int64_t)h->generation,
		    "sensor set changed: new generation");
	return 0;
}

/* Slot of sample number @n. */
static inline struct sov_slot *slot_of(const struct sov_writer *w, uint64_t n)
{
	return (struct sov_slot *)(w->ring + (size_t)(n & w->slot_mask) * w->slot_size);
}

void __sov_writer_open(struct sov_writer *w)
{
	struct sov_wfill *f = &w->fill;
	struct sov_slot *prev = slot_of(w, w->head), *slot = slot_of(w, w->head + 1);

	/*
	 * seq odd, then wmb (inside): orders the odd seq before every store
	 * into the slot that follows, here and in the setters until publish.
	 * Pairs with the rmb in sov_seq_read_retry(): a reader lapped by the
	 * whole ring, copying this slot as an old sample, sees seq move.
	 */
	sov_seq_write_begin(&slot->seq);
	/* Carry forward the head fields after number, then both bitmaps. */
	memcpy(&slot->mono_ns, &prev->mono_ns,
	       sizeof(*slot) - offsetof(struct sov_slot, mono_ns));
	memcpy(sov_slot_valid(slot), sov_slot_valid(prev), 2u * 8u * w->words);
	f->slot = slot;
	f->rd = sov_slot_readings(slot, w->words);
	f->valid = sov_slot_valid(slot);
	f->suspect = sov_slot_suspect(slot, w->words);
	f->open = 1;
}

void sov_writer_set_many(struct sov_writer *w, uint32_t first, uint32_t n,
			 const int64_t *values, uint64_t mono_ns)
{
	struct sov_wfill *f = &w->fill;
	struct sov_reading *rd;
	uint32_t i;

	if (first >= f->nsensors)
		return;
	if (n > f->nsensors - first)
		n = f->nsensors - first;
	if (!f->open)
		__sov_writer_open(w);
	rd = f->rd + first;
	for (i = 0; i < n; i++) {
		rd[i].value = values[i];
		rd[i].mono_ns = mono_ns;
	}
	memset(f->state + first, SOV_WF_VALID, n);
}

void sov_writer_set_invalid(struct sov_writer *w, uint32_t idx)
{
	struct sov_wfill *f = &w->fill;

	if (idx >= f->nsensors)
		return;
	if (!f->open)
		__sov_writer_open(w);
	f->state[idx] = SOV_WF_INVALID;
	/* No stale number for a reader that ignores the bitmap; the time of
	 * the last read stays, as it did when the sample was staged. */
	f->rd[idx].value = 0;
	f->rd[idx].mono_ns = sov_slot_readings(slot_of(w, w->head), w->words)[idx].mono_ns;
}

/*
 * Settle the cycle's per-sensor states into the slot: the valid bit of each
 * sensor set or marked invalid, the reading of each sensor nobody touched
 * copied from the newest sample (its valid bit was carried at open); then
 * reset the states.  Eight sensors per test when all eight were set valid,
 * the common case, so a full cycle costs a few ns per 64 sensors.
 */
static void settle(struct sov_writer *w)
{
	struct sov_wfill *f = &w->fill;
	const struct sov_reading *prev = sov_slot_readings(slot_of(w, w->head), w->words);
	const uint64_t all_valid = UINT64_C(0x0101010101010101) * SOV_WF_VALID;
	uint32_t k, n = w->nsensors;

	for (k = 0; k < n; k += 8) {
		uint64_t chunk, *word = &f->valid[k / 64];
		uint32_t j, end = n - k < 8 ? n - k : 8;

		memcpy(&chunk, f->state + k, sizeof(chunk)); /* state has words x 64 bytes */
		if (end == 8 && chunk == all_valid) {
			*word |= UINT64_C(0xff) << (k % 64);
			continue;
		}
		for (j = 0; j < end; j++) {
			uint64_t bit = UINT64_C(1) << ((k + j) % 64);

			switch (f->state[k + j]) {
			case SOV_WF_VALID:
				*word |= bit;
				break;
			case SOV_WF_INVALID:
				*word &= ~bit;
				break;
			default:
				f->rd[k + j] = prev[k + j];
				break;
			}
		}
	}
	memset(f->state, SOV_WF_UNSET, n);
}

uint64_t sov_writer_publish(struct sov_writer *w)
{
	struct sov_wfill *f = &w->fill;
	uint64_t n = w->head + 1;

	if (!f->open)
		__sov_writer_open(w);
	settle(w);
	f->slot->number = n;
	f->slot->nsensors = w->nsensors;
	/*
	 * wmb (inside), then seq even: orders every store into the slot since
	 * __sov_writer_open() before the even seq.  Pairs with the rmb in
	 * sov_seq_read_begin().
	 */
	sov_seq_write_end(&f->slot->seq);
	f->open = 0;
	/*
	 * Orders the completed slot (its even seq and payload) before the new
	 * head.  Pairs with the rmb after the head load in sov_reader_latest(),
	 * sov_reader_value() and sov_reader_walk() (load_head()): a reader that
	 * sees head == n finds slot n complete, and never looks at slot n + 1,
	 * which the next cycle fills.
	 */
	cmm_smp_wmb();
	CMM_STORE_SHARED(w->hdr->heartbeat_mono_ns, f->slot->mono_ns);
	CMM_STORE_SHARED(w->hdr->head, n);
	w->head = n;
	return n;
}

uint64_t sov_writer_event(struct sov_writer *w, const struct sov_event *ev)
{
	uint64_t n = w->event_head + 1;
	struct sov_event *e = &w->events[n & w->event_mask];

	sov_seq_write_begin(&e->seq);
	memcpy((uint8_t *)e + sizeof(e->seq), (const uint8_t *)ev + sizeof(ev->seq),
	       sizeof(*e) - sizeof(e->seq));
	e->number = n;
	e->text[sizeof(e->text) - 1] = '\0';
	sov_seq_write_end(&e->seq);
	/*
	 * Orders the completed event before the new event_head.  Pairs with
	 * the rmb after the event_head load in sov_reader_events().
	 */
	cmm_smp_wmb();
	CMM_STORE_SHARED(w->hdr->event_head, n);
	w->event_head = n;
	return n;
}

int sov_writer_update_limits(struct sov_writer *w, uint32_t idx, const struct sov_limits *lim)
{
	struct sov_sensor *s;

	if (idx >= w->nsensors)
		return -ERANGE;
	s = &w->sensors[idx];
	sov_seq_write_begin(&w->hdr->table_seq);
	s->flags = (uint16_t)((s->flags & ~SOV_SEN_LIMITS) | (lim->flags & SOV_SEN_LIMITS));
	s->warn_hi = lim->warn_hi;
	s->crit_hi = lim->crit_hi;
	s->warn_lo = lim->warn_lo;
	s->crit_lo = lim->crit_lo;
	sov_seq_write_end(&w->hdr->table_seq);
	return 0;
}

const struct sov_header *sov_writer_header(const struct sov_writer *w)
{
	return w->hdr;
}

void sov_writer_close(struct sov_writer *w)
{
	struct stat st;

	if (!w)
		return;
	sov_writer_note(w, SOV_EV_WRITER_STOP, SOV_SEV_INFO, (int64_t)w->hdr->generation,
		    "writer stopped");
	/*
	 * Orders the last publish and event before STOPPED.  Pairs with the
	 * rmb after the state load in sov_reader_status().
	 */
	cmm_smp_wmb();
	CMM_STORE_SHARED(w->hdr->state, SOV_STATE_STOPPED);
	munlock(w->base, w->map_len);
	munmap(w->base, w->map_len);
	/*
	 * Segment unlinked while we lived (sov_shm_unlink() could not take the
	 * lock file with it): remove that too, still holding the lock, so that
	 * nothing is left behind.  A writer that opened it meanwhile sees the
	 * name moved (writer_lock()) and makes another.
	 */
	if (fstat(w->fd, &st) == 0 && st.st_nlink == 0)
		unlink(w->lock_path);
	close(w->fd);
	close(w->lock_fd); /* releases the writers' lock */
	free(w);
}

int sov_shm_unlink(const char *name)
{
	char path[PATH_MAX], lpath[PATH_MAX];
	int rc, fd;

	rc = sov_shm_path(name, path, sizeof(path));
	if (rc)
		return rc;
	rc = unlink(path) ? -errno : 0;
	/*
	 * The lock file goes too, but only when no writer holds it: unlinked
	 * under a live writer, a new one would lock a new file beside it.
	 * Unlinked while we hold it, a writer that opened it meanwhile sees
	 * the name moved (writer_lock()) and makes another.
	 */
	if (sov_lock_path(path, lpath, sizeof(lpath)) == 0) {
		fd = open(lpath, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			if (lock_wr(fd) == 0)
				unlink(lpath);
			close(fd);
		}
	}
	return rc;
}
