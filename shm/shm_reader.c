/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_reader.c - the reader side of libsovereign: read-only attach with
 * validation, bounded seqlock snapshots of samples, events and sensors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm_internal.h"
#include "shm_reader.h"
#include "shm_seq.h"

void (*sov_test_attach_hook)(enum sov_hook_point at);

struct sov_reader {
	char path[PATH_MAX];         /* the segment file (sov_shm_path()) */
	struct sov_reader_opts opts;
	int fd;                      /* -1 while detached */
	const uint8_t *base;         /* PROT_READ mapping */
	size_t map_len;
	const struct sov_header *shm;/* the live header in the segment */
	struct sov_header h;         /* consistent copy taken at attach */
	uint64_t generation;         /* generation attached to */
	uint32_t slot_mask;
	uint32_t event_mask;
	size_t used;                 /* slot bytes copied: head, bitmaps, readings */
	struct sov_sample *scratch;  /* for sov_reader_walk() */
};

struct sov_sample {
	uint32_t size;               /* bytes available from slot on */
	uint32_t words;              /* bitmap words of the layout it was filled from */
	uint32_t nsensors;           /* readings in use */
	uint32_t pad_;
	struct sov_slot slot;        /* followed by bitmaps and readings */
};

static const struct sov_slot *slot_at(const struct sov_reader *r, uint64_t number)
{
	return (const struct sov_slot *)(r->base + r->h.ring_off +
					 (size_t)(number & r->slot_mask) * r->h.slot_size);
}

/*
 * Has the writer started another generation since attach?  Called after a
 * copy, behind the rmb of sov_seq_read_retry() (or its own), so the copy's
 * loads come before this one: pairs with the wmb after the generation bump
 * in writer_init_generation().
 */
static int check_gen(const struct sov_reader *r)
{
	if (!r->base || CMM_LOAD_SHARED(r->shm->generation) != r->generation)
		return -SOV_ERESTARTED;
	return 0;
}

static void detach(struct sov_reader *r)
{
	if (r->base)
		munmap((void *)r->base, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	r->base = NULL;
	r->shm = NULL;
	r->fd = -1;
	sov_sample_free(r->scratch);
	r->scratch = NULL;
}

/*
 * Copy the static header consistently with respect to a writer re-init
 * (writer_init_generation() stores INIT, the new generation, the header,
 * then LIVE).  The generation is loaded first and again after the copy:
 * a copy is kept only when both loads agree and the state between them is
 * exactly LIVE or STOPPED.  INIT (a writer initialising) is waited for, a
 * bounded number of times; any other state is no writer's and is refused.
 */
static int snapshot_header(struct sov_reader *r)
{
	int i;

	for (i = 0; i < SOV_READ_RETRIES; i++) {
		uint64_t gen = CMM_LOAD_SHARED(r->shm->generation);
		uint32_t state;

		/*
		 * Orders the generation load before the state load.  Pairs with
		 * the wmb between the INIT and generation stores in
		 * writer_init_generation(): a reader that sees a new generation
		 * sees its INIT (or the LIVE that ends it), never an older LIVE.
		 */
		cmm_smp_rmb();
		if (sov_test_attach_hook)
			sov_test_attach_hook(SOV_HOOK_ATTACH_GEN);
		state = CMM_LOAD_SHARED(r->shm->state);
		/*
		 * Orders the state load before the header copy.  Pairs with the
		 * wmb before the LIVE store in writer_init_generation(): LIVE seen
		 * means that generation's header is complete.
		 */
		cmm_smp_rmb();
		memcpy(&r->h, r->shm, sizeof(r->h));
		if (sov_test_attach_hook)
			sov_test_attach_hook(SOV_HOOK_ATTACH_COPIED);
		/*
		 * Orders the copy before the generation re-load.  Pairs with the
		 * wmb after the generation store in writer_init_generation(): a
		 * copy that saw any re-initialisation store sees the generation
		 * move, and is dropped.
		 */
		cmm_smp_rmb();
		if (r->h.magic == 0 && r->h.abi_version == 0)
			return -SOV_ENOTREADY; /* object created, header not yet written */
		if (r->h.magic != SOV_MAGIC)
			return -SOV_EMAGIC;
		if (CMM_LOAD_SHARED(r->shm->generation) == gen) {
			if (state == SOV_STATE_LIVE || state == SOV_STATE_STOPPED) {
				r->generation = gen;
				return 0;
			}
			if (state != SOV_STATE_INIT)
				return -SOV_ESTATE;
		}
		/* A writer is initialising; it takes microseconds.  Bounded wait. */
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	return -SOV_ENOTREADY;
}

/* Is @uid an owner @o trusts (see struct sov_reader_opts)? */
static bool owner_ok(const struct sov_reader_opts *o, uid_t uid)
{
	if (o->owner_uid == SOV_OWNER_DEFAULT)
		return uid == 0 || uid == geteuid();
	if (o->owner_uid == SOV_OWNER_SELF)
		return uid == geteuid();
	return (int64_t)uid == o->owner_uid;
}

static int attach(struct sov_reader *r)
{
	struct stat st;
	uint8_t boot[16];
	void *base;
	int rc;

	/* O_NONBLOCK: a FIFO under the name must not hang the reader here. */
	r->fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (r->fd < 0)
		return -errno;
	if (fstat(r->fd, &st)) {
		rc = -errno;
		goto err;
	}
	/* The writer makes it 0640: any write bit for others is not its doing. */
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    !owner_ok(&r->opts, st.st_uid)) {
		rc = -SOV_EFOREIGN;
		goto err;
	}
	/*
	 * The mapping is st_size long and sov_layout_check() below refuses a
	 * header that declares more: no access beyond the end, so no SIGBUS
	 * unless the owner shrinks the file later (see sov_reader_open()).
	 */
	if ((uint64_t)st.st_size < sizeof(struct sov_header)) {
		rc = st.st_size == 0 ? -SOV_ENOTREADY : -SOV_ETRUNC;
		goto err;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, r->fd, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		goto err;
	}
	r->base = base;
	r->map_len = (size_t)st.st_size;
	r->shm = base;

	rc = snapshot_header(r);
	if (rc)
		goto err;
	rc = sov_layout_check(&r->h, r->map_len);
	if (rc)
		goto err;
	if (sov_boot_id(boot) == 0 && memcmp(boot, r->h.boot_id, sizeof(boot)) &&
	    memcmp(r->h.boot_id, (uint8_t[16]){ 0 }, sizeof(boot))) {
		rc = -SOV_EBOOT;
		goto err;
	}
	r->slot_mask = r->h.nslots - 1;
	r->event_mask = r->h.nevents - 1;
	r->used = sizeof(struct sov_slot) + 2u * 8u * r->h.bitmap_words +
		  sizeof(struct sov_reading) * (size_t)r->h.nsensors;
	r->scratch = sov_sample_alloc(r);
	if (!r->scratch) {
		rc = -ENOMEM;
		goto err;
	}
	return 0;
err:
	detach(r);
	return rc;
}

int sov_reader_open(const char *name, const struct sov_reader_opts *opts,
		    struct sov_reader **out)
{
	struct sov_reader *r;
	int rc;

	*out = NULL;
	if (opts && opts->owner_uid < 0 && opts->owner_uid != SOV_OWNER_DEFAULT &&
	    opts->owner_uid != SOV_OWNER_SELF)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	rc = sov_shm_path(name, r->path, sizeof(r->path));
	if (rc) {
		free(r);
		return rc;
	}
	r->opts = opts ? *opts : (struct sov_reader_opts){ .owner_uid = SOV_OWNER_DEFAULT };
	r->fd = -1;
	rc = attach(r);
	if (rc) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int sov_reader_reattach(struct sov_reader *r)
{
	detach(r);
	return attach(r);
}

void sov_reader_close(struct sov_reader *r)
{
	if (!r)
		return;
	detach(r);
	free(r);
}

int sov_reader_status(struct sov_reader *r)
{
	struct stat st;
	uint64_t start;
	uint32_t state;
	int rc;

	rc = check_gen(r);
	if (rc)
		return rc;
	/* Unlinked: a new writer may have made a new file by that name. */
	if (fstat(r->fd, &st) == 0 && st.st_nlink == 0)
		return -SOV_ERESTARTED;
	state = CMM_LOAD_SHARED(r->shm->state);
	/*
	 * Orders the state load before the caller's later loads of samples
	 * and events.  Pairs with the wmb before the STOPPED store in
	 * sov_writer_close(): a reader told "stopped" then finds the
	 * writer's last sample and its WRITER_STOP event.
	 */
	cmm_smp_rmb();
	if (state == SOV_STATE_STOPPED)
		return -SOV_ESTOPPED;
	/* INIT under our generation: the writer began a re-init (INIT comes first). */
	if (state == SOV_STATE_INIT)
		return -SOV_ERESTARTED;
	/* Only the exact LIVE is live: any other value is no writer's. */
	if (state != SOV_STATE_LIVE)
		return -SOV_ESTOPPED;
	/*
	 * A writer that died without closing leaves LIVE behind.  Its pid may
	 * have been recycled: the start time tells.  (Both are in the writer's
	 * pid namespace; a reader in another one sees the writer as gone.)
	 */
	rc = sov_proc_starttime((pid_t)r->h.writer_pid, &start);
	if (rc == -ESRCH || (rc == 0 && r->h.writer_starttime && start != r->h.writer_starttime))
		return -SOV_ESTOPPED;
	return 0;
}

const struct sov_header *sov_reader_header(const struct sov_reader *r)
{
	return &r->h;
}

uint32_t sov_reader_state(const struct sov_reader *r)
{
	return r->base ? CMM_LOAD_SHARED(r->shm->state) : SOV_STATE_STOPPED;
}

uint32_t sov_reader_nsensors(const struct sov_reader *r)
{
	return r->h.nsensors;
}

uint64_t sov_reader_head(const struct sov_reader *r)
{
	return r->base ? CMM_LOAD_SHARED(r->shm->head) : 0;
}

uint64_t sov_reader_event_head(const struct sov_reader *r)
{
	return r->base ? CMM_LOAD_SHARED(r->shm->event_head) : 0;
}

int sov_reader_sensor(struct sov_reader *r, uint32_t idx, struct sov_sensor *out)
{
	const struct sov_sensor *src;
	int i, rc;

	rc = check_gen(r);
	if (rc)
		return rc;
	if (idx >= r->h.nsensors)
		return -ERANGE;
	src = (const struct sov_sensor *)(r->base + r->h.sensor_off) + idx;
	for (i = 0; i < SOV_READ_RETRIES; i++) {
		uint64_t s = sov_seq_read_begin(&r->shm->table_seq);

		memcpy(out, src, sizeof(*out));
		if (!sov_seq_read_retry(&r->shm->table_seq, s))
			return check_gen(r);
	}
	return -SOV_EBUSY;
}

int sov_reader_find(struct sov_reader *r, const char *chip, const char *key)
{
	struct sov_sensor s;
	uint32_t i;
	int rc;

	for (i = 0; i < r->h.nsensors; i++) {
		rc = sov_reader_sensor(r, i, &s);
		if (rc)
			return rc;
		if (chip && strncmp(s.chip, chip, sizeof(s.chip)))
			continue;
		if (!strncmp(s.label, key, sizeof(s.label)) || !strncmp(s.name, key, sizeof(s.name)))
			return (int)i;
	}
	return -ENOENT;
}

struct sov_sample *sov_sample_alloc(const struct sov_reader *r)
{
	struct sov_sample *s = calloc(1, offsetof(struct sov_sample, slot) + r->h.slot_size);

	if (!s)
		return NULL;
	s->size = r->h.slot_size;
	s->words = r->h.bitmap_words;
	return s;
}

void sov_sample_free(struct sov_sample *s)
{
	free(s);
}

/*
 * Copy sample @number out of its slot.  Return: 0; -EAGAIN (write in
 * progress or raced: the slot is being reused); -SOV_EGONE (the slot holds
 * another sample); -SOV_ERESTARTED.
 */
static int copy_slot(const struct sov_reader *r, uint64_t number, struct sov_sample *out)
{
	const struct sov_slot *slot = slot_at(r, number);
	uint64_t s = sov_seq_read_begin(&slot->seq);

	if (sov_seq_odd(s))
		return -EAGAIN;
	memcpy(&out->slot, slot, r->used);
	if (sov_seq_read_retry(&slot->seq, s))
		return -EAGAIN;
	if (check_gen(r))
		return -SOV_ERESTARTED;
	if (out->slot.number != number)
		return -SOV_EGONE;
	out->words = r->h.bitmap_words;
	out->nsensors = r->h.nsensors;
	return 0;
}

/* Load header.head, ordered before the slot loads that follow (every snapshot of a sample). */
static uint64_t load_head(const struct sov_reader *r)
{
	uint64_t head = CMM_LOAD_SHARED(r->shm->head);

	/*
	 * Orders the head load before the slot loads.  Pairs with the wmb
	 * before the head store in sov_writer_publish().
	 */
	cmm_smp_rmb();
	return head;
}

/* Common checks of the sample readers: same generation, @s big enough. */
static int sample_prologue(const struct sov_reader *r, const struct sov_sample *s)
{
	int rc = check_gen(r);

	if (rc)
		return rc;
	if (s->size < r->h.slot_size || s->words != r->h.bitmap_words)
		return -ENOBUFS;
	return 0;
}

int sov_reader_latest(struct sov_reader *r, struct sov_sample *out)
{
	int i, rc;

	rc = sample_prologue(r, out);
	if (rc)
		return rc;
	for (i = 0; i < SOV_READ_RETRIES; i++) {
		uint64_t head = load_head(r);

		if (head == 0)
			return check_gen(r) ? -SOV_ERESTARTED : -SOV_ENOSAMPLE;
		rc = copy_slot(r, head, out);
		if (rc == 0 || rc == -SOV_ERESTARTED)
			return rc;
		/* Lapped while copying (reader preempted for nslots periods): again. */
	}
	return -SOV_EBUSY;
}

int sov_reader_value(struct sov_reader *r, uint32_t idx, int64_t *value, uint64_t *mono_ns,
		     uint64_t *number)
{
	uint32_t words = r->h.bitmap_words;
	int i, rc;

	rc = check_gen(r);
	if (rc)
		return rc;
	if (idx >= r->h.nsensors)
		return -ERANGE;
	for (i = 0; i < SOV_READ_RETRIES; i++) {
		uint64_t head = load_head(r), s, n, valid, t;
		const struct sov_slot *slot;
		const struct sov_reading *rd;
		int64_t v;

		if (head == 0)
			return check_gen(r) ? -SOV_ERESTARTED : -SOV_ENOSAMPLE;
		slot = slot_at(r, head);
		rd = (const struct sov_reading *)((const uint64_t *)(slot + 1) + 2u * words) + idx;
		s = sov_seq_read_begin(&slot->seq);
		if (sov_seq_odd(s))
			continue; /* lapped: head moved on by the whole ring */
		n = CMM_LOAD_SHARED(slot->number);
		valid = CMM_LOAD_SHARED(((const uint64_t *)(slot + 1))[idx / 64]);
		v = CMM_LOAD_SHARED(rd->value);
		t = CMM_LOAD_SHARED(rd->mono_ns);
		if (sov_seq_read_retry(&slot->seq, s))
			continue;
		if (check_gen(r))
			return -SOV_ERESTARTED;
		if (n != head)
			continue;
		if (number)
			*number = n;
		if (!(valid & (UINT64_C(1) << (idx % 64))))
			return -ENODATA;
		if (value)
			*value = v;
		if (mono_ns)
			*mono_ns = t;
		return 0;
	}
	return -SOV_EBUSY;
}

int sov_reader_sample(struct sov_reader *r, uint64_t number, struct sov_sample *out)
{
	uint64_t head;
	int i, rc;

	rc = sample_prologue(r, out);
	if (rc)
		return rc;
	head = load_head(r);
	/* Slot head + 1 - nslots is the one the next publish overwrites. */
	if (number == 0 || number > head || head - number > r->h.nslots - 2)
		return -SOV_EGONE;
	for (i = 0; i < SOV_READ_RETRIES; i++) {
		rc = copy_slot(r, number, out);
		if (rc != -EAGAIN)
			return rc;
	}
	return -SOV_EBUSY;
}

int sov_reader_walk(struct sov_reader *r, uint32_t n, sov_walk_fn fn, void *arg)
{
	uint64_t head, k;
	uint32_t visited = 0;
	int rc;

	rc = check_gen(r);
	if (rc)
		return rc;
	head = load_head(r);
	if (head == 0)
		return -SOV_ENOSAMPLE;
	if (n > r->h.nslots - 1)
		n = r->h.nslots - 1;
	for (k = head; k >= 1 && head - k < n; k--) {
		rc = copy_slot(r, k, r->scratch);
		if (rc == -SOV_ERESTARTED)
			return rc;
		if (rc)
			break; /* overwritten: everything older is too */
		visited++;
		if (fn(r->scratch, arg))
			break;
	}
	return (int)visited;
}

int sov_reader_events(struct sov_reader *r, uint64_t *cursor, struct sov_event *out,
		      uint32_t max, uint64_t *lost)
{
	const struct sov_event *ring;
	uint64_t head, k, n, oldest;
	uint32_t got = 0;
	int rc;

	rc = check_gen(r);
	if (rc)
		return rc;
	ring = (const struct sov_event *)(r->base + r->h.event_off);
	head = CMM_LOAD_SHARED(r->shm->event_head);
	/*
	 * Orders the event_head load before the event loads.  Pairs with the
	 * wmb before the event_head store in sov_writer_event().
	 */
	cmm_smp_rmb();
	/*
	 * Event head + 1 - nevents is the one the next event overwrites, so
	 * the oldest readable is head + 2 - nevents: written without head + 2,
	 * which a corrupt head of UINT64_MAX would wrap (found by fuzzing), so
	 * the loop below never visits more than nevents - 1 events.
	 */
	oldest = head > r->h.nevents - 2 ? head - (r->h.nevents - 2) : 1;
	if (*cursor >= head) {
		*cursor = head; /* nothing new, or a cursor from another generation */
		return 0;
	}
	k = *cursor + 1;
	if (k < oldest) {
		if (lost)
			*lost += oldest - k;
		k = oldest;
	}
	/* Count, don't compare with head: k <= UINT64_MAX always holds. */
	for (n = head - k + 1; n > 0 && got < max; n--, k++) {
		const struct sov_event *e = &ring[k & r->event_mask];
		uint64_t s = sov_seq_read_begin(&e->seq);
		int ok = !sov_seq_odd(s);

		if (ok) {
			memcpy(&out[got], e, sizeof(*e));
			ok = !sov_seq_read_retry(&e->seq, s) && out[got].number == k;
		}
		if (check_gen(r))
			return -SOV_ERESTARTED;
		if (ok)
			got++;
		else if (lost)
			(*lost)++; /* overwritten under us by a burst of events */
		*cursor = k;
	}
	return (int)got;
}

const struct sov_slot *sov_sample_slot(const struct sov_sample *s)
{
	return &s->slot;
}

int sov_sample_get(const struct sov_sample *s, uint32_t idx, int64_t *value, uint64_t *mono_ns)
{
	const struct sov_reading *rd;
	struct sov_slot *slot = (struct sov_slot *)&s->slot;

	if (idx >= s->nsensors)
		return -ERANGE;
	if (!(sov_slot_valid(slot)[idx / 64] & (UINT64_C(1) << (idx % 64))))
		return -ENODATA;
	rd = &sov_slot_readings(slot, s->words)[idx];
	if (value)
		*value = rd->value;
	if (mono_ns)
		*mono_ns = rd->mono_ns;
	return 0;
}

bool sov_sample_suspect(const struct sov_sample *s, uint32_t idx)
{
	struct sov_slot *slot = (struct sov_slot *)&s->slot;

	if (idx >= s->nsensors)
		return false;
	return sov_slot_suspect(slot, s->words)[idx / 64] & (UINT64_C(1) << (idx % 64));
}

int64_t sov_sample_age_ns(const struct sov_sample *s)
{
	return (int64_t)(sov_now_ns(CLOCK_MONOTONIC) - s->slot.mono_ns);
}
