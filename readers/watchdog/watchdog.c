/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watchdog.c - sovereign-watchdog: watches the inference process (alive by
 * pidfd, progressing by heartbeat, health URL or file mtime), publishes its
 * state into its own segment, and feeds the hardware watchdog only while the
 * inference process is active and the sampler's data is fresh.  Its
 * configuration is wd_conf.c; the probes, target and device are wd_core.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "heartbeat.h"
#include "sovereign.h"
#include "timespec.h"
#include "wd.h"
#include "wd_conf.h"

/* Indices of the sensors this watchdog publishes in its own segment. */
enum {
	WD_S_ACTIVE,      /* sovereign_inference_active: 1 active, 0 otherwise */
	WD_S_STATE,       /* enum wd_state */
	WD_S_PID,         /* pid watched, 0 none */
	WD_S_PROGRESS_MS, /* ms since the last progress seen */
	WD_S_SAMPLER_OK,  /* 1: sampler segment live and fresh */
	WD_S_FEEDS,       /* watchdog device feeds (counter) */
	WD_S_COUNT_
};

struct wd {
	struct wd_conf c;
	struct sov_writer *w;
	struct sov_reader *sr;
	struct sov_sample *ss;
	struct wd_target t;
	struct wd_dev dev;
	enum wd_state state;
	pid_t pid_seen;         /* pid the progress baseline belongs to */
	uint64_t progress_ms;   /* last progress, CLOCK_MONOTONIC ms */
	uint64_t last_counter;  /* heartbeat counter or mtime last seen */
	bool have_counter;
	bool hb_said;           /* an untrusted heartbeat was said (once) ... */
	int hb_said_why;        /* ... for this reason (enum sov_hb_trust, or -errno) */
	uid_t hb_said_uid;      /* ... and this owner */
	bool was_found;
	bool feeding;           /* the previous period fed the device */
	bool sampler_ok;
	char why[SOV_EVENT_TEXT_LEN]; /* why the device is not fed */
};

static volatile sig_atomic_t wd_stop, wd_reload_req;

static void wd_on_signal(int sig)
{
	if (sig == SIGHUP)
		wd_reload_req = 1;
	else
		wd_stop = 1;
}

static uint64_t wd_now_ms(void)
{
	return ts_now_ns(CLOCK_MONOTONIC) / 1000000u;
}

/* --- the segment this watchdog publishes --- */

static struct sov_sensor wd_sensor(const char *name, uint16_t kind, uint16_t unit,
				   uint16_t flags)
{
	struct sov_sensor s;

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	s.unit = unit;
	s.flags = flags;
	s.source = SOV_SRC_INTERNAL;
	snprintf(s.chip, sizeof(s.chip), "watchdog");
	snprintf(s.name, sizeof(s.name), "%s", name);
	snprintf(s.label, sizeof(s.label), "inference");
	s.id = sov_sensor_id(s.source, s.chip, s.name);
	return s;
}

static int wd_segment_create(struct wd *wd)
{
	struct sov_sensor s[WD_S_COUNT_];
	struct sov_writer_opts o = {
		.name = wd->c.segment,
		.group = wd->c.group[0] ? wd->c.group : NULL,
		.writer_name = "sovereign-watchdog",
		.nslots = 64,
		.nevents = 64,
		.period_ns = (uint64_t)wd->c.period_ms * 1000000u,
	};

	s[WD_S_ACTIVE] = wd_sensor("inference_active", SOV_KIND_GAUGE, SOV_UNIT_NONE, 0);
	s[WD_S_STATE] = wd_sensor("inference_state", SOV_KIND_GAUGE, SOV_UNIT_NONE, 0);
	/* Prometheus gets the meaning of the state gauge's values in its labels. */
	snprintf(s[WD_S_STATE].labels, sizeof(s[WD_S_STATE].labels),
		 "states=0unknown_1active_2hung_3dead");
	s[WD_S_PID] = wd_sensor("inference_pid", SOV_KIND_GAUGE, SOV_UNIT_NONE, 0);
	s[WD_S_PROGRESS_MS] = wd_sensor("inference_progress_age_ms", SOV_KIND_GAUGE,
					SOV_UNIT_NONE, 0);
	s[WD_S_SAMPLER_OK] = wd_sensor("sampler_fresh", SOV_KIND_GAUGE, SOV_UNIT_NONE, 0);
	s[WD_S_FEEDS] = wd_sensor("watchdog_feeds", SOV_KIND_COUNT, SOV_UNIT_COUNT,
				  SOV_SEN_COUNTER);
	return sov_writer_create(&o, s, WD_S_COUNT_, &wd->w);
}

static void wd_event(struct wd *wd, uint16_t type, uint16_t sev, uint32_t sensor,
		     int64_t value, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Publish an event into our segment and say it on stderr (journald). */
static void wd_event(struct wd *wd, uint16_t type, uint16_t sev, uint32_t sensor,
		     int64_t value, const char *fmt, ...)
{
	struct sov_event ev;
	va_list ap;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.severity = sev;
	ev.sensor = sensor;
	ev.value = value;
	ev.mono_ns = ts_now_ns(CLOCK_MONOTONIC);
	ev.real_ns = ts_now_ns(CLOCK_REALTIME);
	va_start(ap, fmt);
	vsnprintf(ev.text, sizeof(ev.text), fmt, ap);
	va_end(ap);
	sov_writer_event(wd->w, &ev);
	fprintf(stderr, "<%u>sovereign-watchdog: %s\n", sev, ev.text);
}

/* --- one period --- */

/* "65534 (nobody)" or "1234" for a uid without a name, into @buf. */
static const char *wd_uid_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char pwbuf[4096];

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
		snprintf(buf, len, "%u (%s)", (unsigned)uid, pw.pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
	return buf;
}

/*
 * Say once that the heartbeat file is not believed (sov_hb_read() gave
 * @rc: -EPERM with @f's owner and mode, or -ELOOP), naming the file, its
 * owner and why: a squatted name must not pass for a hung runtime without
 * a word.  Said again only when the reason or owner changes, or after the
 * file was trusted again.
 */
static void wd_hb_untrusted(struct wd *wd, int rc, const struct sov_hb_info *f,
			    const uid_t *trusted, size_t ntrusted, bool have_target)
{
	int why = rc == -EPERM ? (int)sov_hb_trust(f->uid, f->mode, trusted, ntrusted) : rc;
	uid_t uid = rc == -EPERM ? f->uid : (uid_t)-1;
	char owner[96], tgt[96] = "", own[96] = "", detail[256];

	if (wd->hb_said && wd->hb_said_why == why && wd->hb_said_uid == uid)
		return;
	wd->hb_said = true;
	wd->hb_said_why = why;
	wd->hb_said_uid = uid;
	if (rc == -ELOOP) {
		fprintf(stderr, "<3>sovereign-watchdog: heartbeat %s not trusted, not progress: "
			"a symbolic link (never followed)\n", wd->c.pspec);
		wd_event(wd, SOV_EV_SENSOR_LOST, SOV_SEV_ERR, WD_S_PROGRESS_MS, rc,
			 "heartbeat not trusted: a symbolic link");
		return;
	}
	wd_uid_name(f->uid, owner, sizeof(owner));
	switch ((enum sov_hb_trust)why) {
	case SOV_HB_NOT_REGULAR:
		snprintf(detail, sizeof(detail), "not a regular file (mode %06o, owner %s)",
			 (unsigned)f->mode, owner);
		break;
	case SOV_HB_WRITABLE:
		snprintf(detail, sizeof(detail), "mode %04o: writable by group or others "
			 "(owner %s)", (unsigned)(f->mode & 07777), owner);
		break;
	default:
		if (have_target)
			snprintf(tgt, sizeof(tgt), ", the target's uid %u", (unsigned)trusted[0]);
		if (wd->c.hb_owner_set)
			snprintf(own, sizeof(own), ", heartbeat_owner %u", (unsigned)wd->c.hb_owner);
		snprintf(detail, sizeof(detail), "owned by uid %s; trusted: root%s%s", owner,
			 tgt, own);
		break;
	}
	fprintf(stderr, "<3>sovereign-watchdog: heartbeat %s not trusted, not progress: %s\n",
		wd->c.pspec, detail);
	if (why == SOV_HB_WRITABLE)
		wd_event(wd, SOV_EV_SENSOR_LOST, SOV_SEV_ERR, WD_S_PROGRESS_MS, rc,
			 "heartbeat not trusted: mode %04o, group/other-writable",
			 (unsigned)(f->mode & 07777));
	else if (why == SOV_HB_NOT_REGULAR)
		wd_event(wd, SOV_EV_SENSOR_LOST, SOV_SEV_ERR, WD_S_PROGRESS_MS, rc,
			 "heartbeat not trusted: not a regular file");
	else
		wd_event(wd, SOV_EV_SENSOR_LOST, SOV_SEV_ERR, WD_S_PROGRESS_MS, rc,
			 "heartbeat not trusted: owned by uid %u", (unsigned)f->uid);
}

/*
 * Read the heartbeat, believing it only from root or a trusted owner: the
 * watched process's effective uid (when one is held and readable) and
 * heartbeat_owner.  Return: as sov_hb_read().
 */
static int wd_probe_heartbeat(struct wd *wd, uint64_t *counter)
{
	struct sov_hb_info f = { 0 };
	uid_t trusted[2];
	size_t n = 0;
	bool have_target;
	int rc;

	have_target = wd_target_uid(&wd->t, &trusted[0]) == 0;
	n += have_target;
	if (wd->c.hb_owner_set)
		trusted[n++] = wd->c.hb_owner;
	rc = sov_hb_read(wd->c.pspec, trusted, n, &f);
	if (rc == -EPERM || rc == -ELOOP) {
		wd_hb_untrusted(wd, rc, &f, trusted, n, have_target);
	} else if (rc == 0) {
		if (wd->hb_said)
			fprintf(stderr, "<5>sovereign-watchdog: heartbeat %s trusted again "
				"(owner uid %u)\n", wd->c.pspec, (unsigned)f.uid);
		wd->hb_said = false;
		*counter = f.counter;
	}
	return rc;
}

/* Did the runtime make progress since the last look?  Updates the baseline. */
static void wd_probe_progress(struct wd *wd, uint64_t now)
{
	uint64_t v = 0;
	int rc;

	switch (wd->c.pkind) {
	case WD_PROG_NONE:
		wd->progress_ms = now;
		return;
	case WD_PROG_URL:
		if (wd_http_check(&wd->c.url, (int)wd->c.health_timeout_ms) == 200)
			wd->progress_ms = now;
		return;
	case WD_PROG_HEARTBEAT:
		/* An untrusted file is not progress, whatever its counter does. */
		rc = wd_probe_heartbeat(wd, &v);
		break;
	case WD_PROG_MTIME:
		rc = wd_mtime_ns(wd->c.pspec, &v);
		break;
	default:
		return;
	}
	if (rc < 0)
		return; /* no file: no progress; the hang timer decides */
	if (!wd->have_counter || v != wd->last_counter)
		wd->progress_ms = now;
	wd->last_counter = v;
	wd->have_counter = true;
}

/* Is the sampler's segment live and its newest sample fresh?  Sets wd->why if not. */
static bool wd_sampler_fresh(struct wd *wd)
{
	int64_t age;
	int rc;

	if (!wd->sr) {
		rc = sov_reader_open(wd->c.sampler, NULL, &wd->sr);
		if (rc < 0) {
			snprintf(wd->why, sizeof(wd->why), "sampler %s: %s", wd->c.sampler,
				 sov_strerror(rc));
			return false;
		}
		wd->ss = sov_sample_alloc(wd->sr);
		if (!wd->ss) {
			snprintf(wd->why, sizeof(wd->why), "out of memory");
			return false;
		}
	}
	rc = sov_reader_status(wd->sr);
	if (rc == -SOV_ERESTARTED) {
		/* New generation: reattach and size the sample for its layout. */
		sov_sample_free(wd->ss);
		wd->ss = NULL;
		rc = sov_reader_reattach(wd->sr);
		if (rc == 0) {
			wd->ss = sov_sample_alloc(wd->sr);
			rc = wd->ss ? 0 : -ENOMEM;
		}
		if (rc < 0) {
			sov_reader_close(wd->sr);
			wd->sr = NULL;
		}
	}
	if (rc == 0)
		rc = sov_reader_latest(wd->sr, wd->ss);
	if (rc < 0) {
		snprintf(wd->why, sizeof(wd->why), "sampler %s: %s", wd->c.sampler,
			 sov_strerror(rc));
		return false;
	}
	age = sov_sample_age_ns(wd->ss) / 1000000;
	if (age > wd->c.sampler_max_age_ms) {
		snprintf(wd->why, sizeof(wd->why), "sampler data %" PRId64 " ms old", age);
		return false;
	}
	return true;
}

static void wd_transition(struct wd *wd, enum wd_state from, enum wd_state to)
{
	int64_t pid = wd->t.pid;

	switch (to) {
	case WD_ACTIVE:
		wd_event(wd, SOV_EV_SENSOR_BACK, SOV_SEV_NOTICE, WD_S_ACTIVE, to,
			 "inference active (pid %" PRId64 ", was %s)", pid, wd_state_name(from));
		break;
	case WD_HUNG:
		wd_event(wd, SOV_EV_DEGRADED, SOV_SEV_ERR, WD_S_ACTIVE, to,
			 "inference hung: pid %" PRId64 " no progress for %lld ms", pid,
			 wd->c.hang_ms);
		break;
	case WD_DEAD:
		wd_event(wd, SOV_EV_SENSOR_LOST, SOV_SEV_CRIT, WD_S_ACTIVE, to,
			 "inference dead: pid %" PRId64 " exited", pid);
		break;
	case WD_UNKNOWN:
		wd_event(wd, SOV_EV_SENSOR_LOST, SOV_SEV_WARNING, WD_S_ACTIVE, to,
			 "inference not found (%s)", wd->c.tspec);
		break;
	}
}

/* Feed the device if the host is healthy; say once when feeding stops or resumes. */
static void wd_feed(struct wd *wd)
{
	bool healthy = wd->sampler_ok;
	int rc;

	if (healthy && wd->c.reboot_on_hang && wd->state != WD_ACTIVE) {
		healthy = false;
		snprintf(wd->why, sizeof(wd->why), "inference %s", wd_state_name(wd->state));
	}
	if (!wd->c.device)
		return;
	if (healthy) {
		/*
		 * Armed at the first healthy period, not at start: a model that
		 * takes minutes to load must not reboot the host before it runs.
		 */
		rc = wd_dev_arm(&wd->dev);
		if (rc == 0)
			rc = wd_dev_feed(&wd->dev);
		if (rc < 0) {
			snprintf(wd->why, sizeof(wd->why), "device %s: %s", wd->dev.path,
				 sov_strerror(rc));
			healthy = false;
		}
	}
	if (healthy && !wd->feeding)
		wd_event(wd, SOV_EV_FAILSAFE_EXIT, SOV_SEV_NOTICE, SOV_NO_SENSOR, 0,
			 "feeding %s (timeout %d s)", wd->dev.path, wd->dev.timeout_s);
	else if (!healthy && wd->feeding)
		wd_event(wd, SOV_EV_FAILSAFE_ENTER, SOV_SEV_CRIT, SOV_NO_SENSOR, 0,
			 "not feeding watchdog: %s", wd->why);
	wd->feeding = healthy;
}

static void wd_period(struct wd *wd)
{
	uint64_t now = wd_now_ms();
	struct wd_eval e;
	enum wd_state s;
	struct sov_slot *slot;
	uint64_t mono = ts_now_ns(CLOCK_MONOTONIC);

	wd_target_refresh(&wd->t);
	if (wd->t.pidfd >= 0 && wd->t.pid != wd->pid_seen) {
		/* A new process gets a full hang_ms before it must show progress. */
		wd->pid_seen = wd->t.pid;
		wd->progress_ms = now;
		wd->have_counter = false;
		wd->hb_said = false; /* a new process: an untrusted heartbeat is said again */
	}
	if (wd->t.pidfd >= 0 && !wd->t.exited)
		wd_probe_progress(wd, now);
	e = (struct wd_eval){
		.found = wd->t.pidfd >= 0,
		.alive = !wd->t.exited,
		.was_found = wd->was_found,
		.now_ms = now,
		.progress_ms = wd->progress_ms,
		.hang_ms = (uint64_t)wd->c.hang_ms,
	};
	s = wd_state_eval(&e);
	wd->was_found |= e.found;
	if (s != wd->state)
		wd_transition(wd, wd->state, s);
	wd->state = s;
	wd->sampler_ok = wd_sampler_fresh(wd);
	wd_feed(wd);

	slot = sov_writer_stage(wd->w);
	slot->mono_ns = mono;
	slot->real_ns = ts_now_ns(CLOCK_REALTIME);
	sov_writer_set(wd->w, WD_S_ACTIVE, s == WD_ACTIVE, mono);
	sov_writer_set(wd->w, WD_S_STATE, s, mono);
	sov_writer_set(wd->w, WD_S_PID, e.found && e.alive ? wd->t.pid : 0, mono);
	if (e.found && e.alive)
		sov_writer_set(wd->w, WD_S_PROGRESS_MS, (int64_t)(now - wd->progress_ms), mono);
	else
		sov_writer_set_invalid(wd->w, WD_S_PROGRESS_MS);
	sov_writer_set(wd->w, WD_S_SAMPLER_OK, wd->sampler_ok, mono);
	sov_writer_set(wd->w, WD_S_FEEDS, (int64_t)wd->dev.feeds, mono);
	sov_writer_publish(wd->w);
	sd_notify(0, "WATCHDOG=1");
}

/* Sleep until @deadline_ms, waking early when the watched process exits. */
static void wd_sleep_until(struct wd *wd, uint64_t deadline_ms)
{
	struct pollfd p = { .fd = wd_target_fd(&wd->t), .events = POLLIN };
	uint64_t now;

	while (!wd_stop && !wd_reload_req && (now = wd_now_ms()) < deadline_ms) {
		/* poll() ignores a negative fd: then this is a plain sleep. */
		if (poll(&p, 1, (int)(deadline_ms - now)) > 0)
			return;
	}
}

/*
 * SIGHUP: read the file again.  A file that does not load (unknown section
 * or key, bad or contradicting value, empty, not a regular file) is
 * refused and the running configuration kept; so is one that changes what
 * the watchdog holds open (segments, group, target, progress probe,
 * device).  Otherwise period_ms, hang_ms, sampler_max_age_ms,
 * health_timeout_ms, reboot_on_hang and heartbeat_owner apply from the
 * next period.
 */
static void wd_reload(struct wd *wd, const char *path)
{
	const struct wd_conf *c = &wd->c;
	const char *what = NULL;
	struct wd_conf n;
	struct rt_err err;

	if (wd_conf_load(path, &n, &err) < 0) {
		fprintf(stderr, "sovereign-watchdog: reload refused, running configuration kept: %s\n",
			err.msg);
		wd_event(wd, SOV_EV_CONFIG, SOV_SEV_ERR, SOV_NO_SENSOR, 0, "reload refused: invalid");
		return;
	}
	if (strcmp(c->segment, n.segment) || strcmp(c->group, n.group) ||
	    strcmp(c->sampler, n.sampler))
		what = "segment, group or sampler_segment";
	else if (c->tkind != n.tkind || strcmp(c->tspec, n.tspec))
		what = "[target]";
	else if (c->pkind != n.pkind || strcmp(c->pspec, n.pspec))
		what = "[progress] probe";
	else if (c->device != n.device || strcmp(c->dev_path, n.dev_path) ||
		 c->dev_timeout_s != n.dev_timeout_s || c->magic_close != n.magic_close)
		what = "[device]";
	if (what) {
		wd_event(wd, SOV_EV_CONFIG, SOV_SEV_ERR, SOV_NO_SENSOR, 0,
			 "reload refused: %s changed (restart to change it)", what);
		return;
	}
	wd->c.period_ms = n.period_ms;
	wd->c.hang_ms = n.hang_ms;
	wd->c.sampler_max_age_ms = n.sampler_max_age_ms;
	wd->c.health_timeout_ms = n.health_timeout_ms;
	wd->c.reboot_on_hang = n.reboot_on_hang;
	wd->c.hb_owner_set = n.hb_owner_set;
	wd->c.hb_owner = n.hb_owner;
	wd_event(wd, SOV_EV_CONFIG, SOV_SEV_NOTICE, SOV_NO_SENSOR, 0, "configuration reloaded");
}

static void wd_usage(FILE *f)
{
	fprintf(f, "usage: sovereign-watchdog -c CONFIG\n"
		"  -c, --config FILE  INI configuration (default /etc/sovereign/watchdog.conf);\n"
		"                     SIGHUP reads it again (periods and limits; a bad file is refused)\n"
		"  -h, --help         this text\n");
}

/*
 * The command line: *@config stays the default unless -c names one.
 * Return: -1 to go on, else the exit status.
 */
static int wd_parse_args(int argc, char **argv, const char **config)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			*config = optarg;
			break;
		case 'h':
			wd_usage(stdout);
			return 0;
		default:
			wd_usage(stderr);
			return 2;
		}
	}
	return -1;
}

/*
 * @wd from the configuration @config: the target found, the device
 * described (opened at the first feed).  Return: 0, or the exit status.
 */
static int wd_init(struct wd *wd, const char *config)
{
	struct rt_err err;
	int rc;

	memset(wd, 0, sizeof(*wd));
	rc = wd_conf_load(config, &wd->c, &err);
	if (rc < 0) {
		fprintf(stderr, "sovereign-watchdog: %s\n", err.msg);
		return 2;
	}
	rc = wd_target_init(&wd->t, wd->c.tkind, wd->c.tspec);
	if (rc < 0) {
		fprintf(stderr, "sovereign-watchdog: target: %s\n", sov_strerror(rc));
		return 2;
	}
	wd->dev.fd = -1;
	wd->dev.timeout_s = (int)wd->c.dev_timeout_s;
	wd->dev.magic_close = wd->c.magic_close;
	snprintf(wd->dev.path, sizeof(wd->dev.path), "%s", wd->c.dev_path);
	wd->state = WD_UNKNOWN;
	return 0;
}

/* One period after another on the period_ms grid until SIGTERM/SIGINT. */
static void wd_loop(struct wd *wd, const char *config)
{
	uint64_t next = wd_now_ms();

	while (!wd_stop) {
		wd_period(wd);
		while (next <= wd_now_ms())
			next += (uint64_t)wd->c.period_ms;
		wd_sleep_until(wd, next);
		/* A reload does not cut the period short: the rest of it is slept. */
		while (wd_reload_req && !wd_stop) {
			wd_reload_req = 0;
			wd_reload(wd, config);
			wd_sleep_until(wd, next);
		}
	}
}

int main(int argc, char **argv)
{
	const char *config = "/etc/sovereign/watchdog.conf";
	struct sigaction sa = { .sa_handler = wd_on_signal };
	struct wd wd;
	int rc;

	rc = wd_parse_args(argc, argv, &config);
	if (rc >= 0)
		return rc;
	rc = wd_init(&wd, config);
	if (rc)
		return rc;

	/* No SA_RESTART: a signal must cut the poll() short so we stop at once. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = wd_segment_create(&wd);
	if (rc < 0) {
		fprintf(stderr, "sovereign-watchdog: segment %s: %s\n", wd.c.segment,
			sov_strerror(rc));
		return 1;
	}
	sd_notify(0, "READY=1\nSTATUS=watching");
	wd_loop(&wd, config);
	sd_notify(0, "STOPPING=1");
	/*
	 * A clean stop disarms the hardware timer with the magic 'V' (unless
	 * magic_close = no or the driver has NOWAYOUT): stopping the service
	 * must not reboot the host.  A crash skips this, and the host resets.
	 */
	wd_dev_close(&wd.dev, true);
	wd_target_close(&wd.t, wd.c.tkind == WD_TGT_COMMAND);
	sov_sample_free(wd.ss);
	sov_reader_close(wd.sr);
	sov_writer_close(wd.w);
	return 0;
}
