/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * event.h - the fan actuator's transitions (failsafe in and out, another
 * writer on a pwm, reload applied or refused, start, stop) as events: one
 * in the actuator's own segment (sov_writer_note) and one in the journal
 * with structured fields, or on stderr when not running under journald.
 */
#ifndef SOVEREIGN_FAN_EVENT_H
#define SOVEREIGN_FAN_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "sovereign.h"

/* enum fan_log - where events go besides the segment ([fan] log = ...). */
enum fan_log {
	FAN_LOG_AUTO = 0,    /* the journal if stderr is journald's stream, else stderr */
	FAN_LOG_JOURNAL = 1, /* sd_journal_send() */
	FAN_LOG_STDERR = 2,  /* "sovereign-fan: MESSAGE" lines */
};

/*
 * fan_log_use_journal() - resolve @mode: FAN_LOG_AUTO is the journal when
 * $JOURNAL_STREAM names ("DEVICE:INODE") the file stderr is (systemd sets
 * it for StandardError=journal; a redirected stderr no longer matches).
 * Context: process context (fstat).  Return: true for the journal.
 */
bool fan_log_use_journal(enum fan_log mode);

/*
 * struct fan_event - one transition.  Every string may be NULL (sent as
 * an empty field).
 */
struct fan_event {
	uint16_t type;        /* SOV_EV_* */
	uint16_t severity;    /* SOV_SEV_*: syslog priorities, PRIORITY= as is */
	int64_t value;        /* the duty in force, per-mille (SOVEREIGN_DUTY=) */
	const char *zone;     /* SOVEREIGN_ZONE= */
	const char *reason;   /* SOVEREIGN_REASON=: "stale,stall", "reload", ... */
	const char *mode;     /* SOVEREIGN_MODE=: "failsafe", "pid", "stepwise", "rpm" */
	const char *fan;      /* SOVEREIGN_FAN=: "nct6779 pwm1" */
	const char *text;     /* the segment event's text; NULL: the message */
};

/*
 * fan_event_emit() - publish @ev into @w (may be NULL) and send the message
 * formatted from @fmt with @ev's fields to the journal (@journal) or to
 * stderr.  Journal fields: MESSAGE, PRIORITY, SOVEREIGN_EVENT (number),
 * SOVEREIGN_EVENT_NAME, SOVEREIGN_ZONE, SOVEREIGN_REASON, SOVEREIGN_MODE,
 * SOVEREIGN_FAN, SOVEREIGN_DUTY; each passed to sd_journal_send() as a
 * "KEY=%s" format with one string argument.  A failed journal send falls
 * back to stderr.  Context: the actuator's loop thread (the writer is
 * single-threaded); no allocation.
 */
void fan_event_emit(struct sov_writer *w, bool journal, const struct fan_event *ev,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* SOVEREIGN_FAN_EVENT_H */
