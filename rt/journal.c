/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * journal.c - events: sampler_emit() numbers each in the segment's event
 * ring and queues it, wait-free, to the journal thread, which sends it to
 * journald with its sensor, value and limit in words (the SEL's successor,
 * off the real-time path).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <urcu/lfstack.h>
#include <urcu/uatomic.h>
#include <urcu/wfcqueue.h>

#include "sampler_int.h"
#include "shm_names.h"

/*
 * The journal thread polls its queue (the loop may make no system call, so
 * it cannot wake it): every JOURNAL_IDLE_MIN_NS after an event, doubling
 * while the queue stays empty up to JOURNAL_IDLE_MAX_NS.  An idle sampler
 * thus wakes it once a second; an event waits at most that long for
 * journald (it is in the segment at once).
 */
#define JOURNAL_IDLE_MIN_NS (50 * 1000000ull)
#define JOURNAL_IDLE_MAX_NS (1 * NSEC_PER_SEC)

void sampler_emit(struct sampler *s, uint16_t type, uint16_t sev, uint32_t idx, int64_t value,
		  int64_t limit, uint64_t mono, const char *text)
{
	struct sov_event ev;
	struct cds_lfs_node *fn;
	struct journal_node *jn;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.severity = sev;
	ev.sensor = idx;
	ev.value = value;
	ev.limit = limit;
	ev.mono_ns = mono;
	ev.real_ns = s->real_now_ns;
	strncpy(ev.text, text, sizeof(ev.text) - 1);
	/* The segment numbers the event; journald gets the same number. */
	ev.number = sov_writer_event(s->w, &ev);

	if (!s->o.journal)
		return;
	/* Only the loop pops (single popper), so the unlocked pop is safe. */
	fn = __cds_lfs_pop(&s->jfree);
	if (!fn) {
		uatomic_inc(&s->st.journal_dropped);
		return;
	}
	jn = caa_container_of(fn, struct journal_node, free);
	jn->ev = ev;
	if (idx != SOV_NO_SENSOR && idx < s->chans.n) {
		const struct sov_sensor *d = &s->chans.chan[idx].desc;

		memcpy(jn->chip, d->chip, sizeof(jn->chip));
		memcpy(jn->name, d->name, sizeof(jn->name));
		memcpy(jn->label, d->label, sizeof(jn->label));
		jn->unit = d->unit;
	} else {
		jn->chip[0] = jn->name[0] = jn->label[0] = '\0';
		jn->unit = SOV_UNIT_NONE;
	}
	cds_wfcq_node_init(&jn->q);
	/* Wait-free; orders the node's contents before it is reachable. */
	cds_wfcq_enqueue(&s->jq_head, &s->jq_tail, &jn->q);
}

static const char *unit_text(uint16_t unit, int64_t v, char *buf, size_t len)
{
	switch (unit) {
	case SOV_UNIT_MILLICELSIUS: snprintf(buf, len, "%.3f °C", (double)v / 1e3); break;
	case SOV_UNIT_MILLIVOLT:    snprintf(buf, len, "%.3f V", (double)v / 1e3); break;
	case SOV_UNIT_MILLIAMPERE:  snprintf(buf, len, "%.3f A", (double)v / 1e3); break;
	case SOV_UNIT_MICROWATT:    snprintf(buf, len, "%.3f W", (double)v / 1e6); break;
	case SOV_UNIT_MICROJOULE:   snprintf(buf, len, "%.3f J", (double)v / 1e6); break;
	case SOV_UNIT_RPM:          snprintf(buf, len, "%lld RPM", (long long)v); break;
	case SOV_UNIT_PERMILLE:     snprintf(buf, len, "%.1f %%", (double)v / 10.0); break;
	default:                    snprintf(buf, len, "%lld", (long long)v); break;
	}
	return buf;
}

/* Who an event is about: "chip/sensor (label)", the label only when it says more; "" for none. */
static void journal_who(const struct journal_node *jn, char *buf, size_t len)
{
	if (!jn->chip[0] && !jn->name[0]) {
		buf[0] = '\0';
		return;
	}
	if (jn->label[0] && strcmp(jn->label, jn->name))
		snprintf(buf, len, "%s/%s (%s)", jn->chip, jn->name, jn->label);
	else
		snprintf(buf, len, "%s/%s", jn->chip, jn->name);
}

/*
 * The event's value and limit in their own meaning (shm_names.h): a reading
 * in the sensor's unit, an errno by name, a count, a generation; " (...)",
 * or "" when the event carries nothing worth saying.
 */
static void journal_detail(const struct journal_node *jn, char *buf, size_t len)
{
	enum sov_event_meaning vm = sov_event_value_meaning(&jn->ev);
	enum sov_event_meaning lm = sov_event_limit_meaning(&jn->ev);
	char v[64], u[48], l[48];
	int e = (int)-jn->ev.value;

	switch (vm) {
	case SOV_EVM_READING:
		snprintf(v, sizeof(v), "value %s", unit_text(jn->unit, jn->ev.value, u, sizeof(u)));
		break;
	case SOV_EVM_ERRNO:
		snprintf(v, sizeof(v), "error %s: %s",
			 strerrorname_np(e) ? strerrorname_np(e) : "?",
			 strerrordesc_np(e) ? strerrordesc_np(e) : "unknown error");
		break;
	case SOV_EVM_COUNT:
		snprintf(v, sizeof(v), "count %lld", (long long)jn->ev.value);
		break;
	case SOV_EVM_GENERATION:
		snprintf(v, sizeof(v), "generation %lld", (long long)jn->ev.value);
		break;
	case SOV_EVM_NUMBER:
		if (!jn->ev.value) {
			v[0] = '\0';
			break;
		}
		snprintf(v, sizeof(v), "value %lld", (long long)jn->ev.value);
		break;
	default:
		v[0] = '\0';
		break;
	}
	if (lm == SOV_EVM_READING)
		unit_text(jn->unit, jn->ev.limit, l, sizeof(l));
	if (!v[0])
		buf[0] = '\0';
	else if (lm == SOV_EVM_READING)
		snprintf(buf, len, " (%s, %s %s)", v,
			 jn->ev.type == SOV_EV_THRESH_WARN || jn->ev.type == SOV_EV_THRESH_CRIT
				 ? "limit" : "before", l);
	else
		snprintf(buf, len, " (%s)", v);
}

/* The journal thread: the SEL's successor, off the real-time path. */
void *journal_main(void *arg)
{
	struct sampler *s = arg;
	uint64_t idle_ns = JOURNAL_IDLE_MIN_NS;

	while (!uatomic_read(&s->stop) || !cds_wfcq_empty(&s->jq_head, &s->jq_tail)) {
		struct cds_wfcq_node *qn;

		/* Single dequeuer: the unlocked form is safe. */
		qn = __cds_wfcq_dequeue_blocking(&s->jq_head, &s->jq_tail);
		if (!qn) {
			struct timespec now;

			/* Idle: back off (see JOURNAL_IDLE_MAX_NS), waking on the
			 * loop's grid (no wake-up of the core of its own); stop ends
			 * the wait. */
			clock_gettime(CLOCK_MONOTONIC, &now);
			sampler_wait_stop_until(s, ts_grid_next(ts_to_ns(&now) + idle_ns, s->o.period_ns));
			idle_ns = idle_ns * 2 < JOURNAL_IDLE_MAX_NS ? idle_ns * 2 : JOURNAL_IDLE_MAX_NS;
			continue;
		}
		idle_ns = JOURNAL_IDLE_MIN_NS; /* events flow: look again soon */
		{
			struct journal_node *jn = caa_container_of(qn, struct journal_node, q);
			const char *type = sov_event_type_name(jn->ev.type);
			char who[3 * SOV_NAME_LEN + 8], detail[128], num[16];

			snprintf(num, sizeof(num), "%u", (unsigned)jn->ev.type);
			journal_who(jn, who, sizeof(who));
			journal_detail(jn, detail, sizeof(detail));
			sd_journal_send("MESSAGE=%s%s%s%s", who, who[0] ? ": " : "", jn->ev.text,
					detail,
					"PRIORITY=%d", jn->ev.severity,
					"SOVEREIGN_EVENT=%s", type ? type : num,
					"SOVEREIGN_EVENT_NUMBER=%llu", (unsigned long long)jn->ev.number,
					"SOVEREIGN_CHIP=%s", jn->chip,
					"SOVEREIGN_SENSOR=%s", jn->name,
					"SOVEREIGN_LABEL=%s", jn->label,
					"SOVEREIGN_VALUE=%lld", (long long)jn->ev.value,
					"SOVEREIGN_LIMIT=%lld", (long long)jn->ev.limit,
					NULL);
			cds_lfs_push(&s->jfree, &jn->free);
		}
	}
	return NULL;
}

int journal_init(struct sampler *s)
{
	size_t i;

	s->jpool = calloc(JOURNAL_POOL, sizeof(*s->jpool));
	if (!s->jpool)
		return -ENOMEM;
	cds_wfcq_init(&s->jq_head, &s->jq_tail);
	cds_lfs_init(&s->jfree);
	for (i = 0; i < JOURNAL_POOL; i++) {
		cds_wfcq_node_init(&s->jpool[i].q);
		cds_lfs_node_init(&s->jpool[i].free);
		cds_lfs_push(&s->jfree, &s->jpool[i].free);
	}
	return 0;
}
