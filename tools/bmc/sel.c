/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sel.c - the SEL saver: reserve, read every entry, write them to a
 * fsync'd JSON-lines file (and journald), then clear with the reservation.
 * The contract is in sel.h.
 */
#define _GNU_SOURCE
#include "fileio.h"
#include "sel.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <freeipmi/sel/ipmi-sel.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#define SEL_ATTEMPTS 3     /* saves tried when the reservation is cancelled */
#define SEL_CC_CANCELLED 0xc5
#define SEL_TEXT_MAX 512
#define SEL_NAME_TRIES 1000 /* -1 .. -999 suffixes in one second */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void bmc_sel_decode(const unsigned char rec[BMC_IPMI_SEL_RECORD], char *buf, size_t len)
{
	/* Fields by record class (ipmi-sel.h lists which class has which). */
	static const char *const fmt_event = "%d %t | %T | %s | %E | %k";
	static const char *const fmt_oem_ts = "%d %t | OEM record | %m | %o";
	static const char *const fmt_oem = "OEM record | %o";
	const unsigned int flags = IPMI_SEL_STRING_FLAGS_VERBOSE |
				   IPMI_SEL_STRING_FLAGS_IGNORE_UNAVAILABLE_FIELD |
				   IPMI_SEL_STRING_FLAGS_OUTPUT_NOT_AVAILABLE;
	const char *fmt;
	ipmi_sel_ctx_t ctx;
	int n = -1;

	if (!buf || !len)
		return;
	switch (ipmi_sel_record_type_class(rec[2])) {
	case IPMI_SEL_RECORD_TYPE_CLASS_SYSTEM_EVENT_RECORD:
		fmt = fmt_event;
		break;
	case IPMI_SEL_RECORD_TYPE_CLASS_TIMESTAMPED_OEM_RECORD:
		fmt = fmt_oem_ts;
		break;
	case IPMI_SEL_RECORD_TYPE_CLASS_NON_TIMESTAMPED_OEM_RECORD:
		fmt = fmt_oem;
		break;
	default:
		fmt = NULL;
		break;
	}
	/* A context without IPMI or SDR: decoding only, no I/O. */
	ctx = fmt ? ipmi_sel_ctx_create(NULL, NULL) : NULL;
	if (ctx) {
		n = ipmi_sel_parse_read_record_string(ctx, fmt, rec, BMC_IPMI_SEL_RECORD, buf,
						      (unsigned int)(len > 65535 ? 65535 : len),
						      flags);
		ipmi_sel_ctx_destroy(ctx);
	}
	if (n <= 0) {
		snprintf(buf, len, "undecodable record type 0x%02x", rec[2]);
		return;
	}
	if ((size_t)n >= len) /* truncated: not NUL-terminated by libfreeipmi */
		buf[len - 1] = '\0';
}

static void hex16(const unsigned char rec[BMC_IPMI_SEL_RECORD],
		  char out[2 * BMC_IPMI_SEL_RECORD + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < BMC_IPMI_SEL_RECORD; i++) {
		out[2 * i] = digits[rec[i] >> 4];
		out[2 * i + 1] = digits[rec[i] & 0x0f];
	}
	out[2 * BMC_IPMI_SEL_RECORD] = '\0';
}

/* One JSON line (with '\n') for @rec, malloc'd; NULL on ENOMEM. */
static char *json_line(const unsigned char rec[BMC_IPMI_SEL_RECORD], const char *text)
{
	char hex[2 * BMC_IPMI_SEL_RECORD + 1], *s, *line = NULL;
	cJSON *o = cJSON_CreateObject();
	size_t n;
	bool ok;

	if (!o)
		return NULL;
	hex16(rec, hex);
	ok = cJSON_AddNumberToObject(o, "record_id", rec[0] | rec[1] << 8) &&
	     cJSON_AddStringToObject(o, "raw", hex) &&
	     cJSON_AddNumberToObject(o, "record_type", rec[2]);
	/* bytes 3..6, little-endian: system event and timestamped OEM records */
	if (ok && rec[2] < 0xe0) {
		uint32_t ts = (uint32_t)rec[3] | (uint32_t)rec[4] << 8 | (uint32_t)rec[5] << 16 |
			      (uint32_t)rec[6] << 24;

		ok = cJSON_AddNumberToObject(o, "timestamp", (double)ts);
	} else if (ok) {
		ok = cJSON_AddNullToObject(o, "timestamp");
	}
	ok = ok && cJSON_AddStringToObject(o, "text", text);
	s = ok ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!s)
		return NULL;
	n = strlen(s);
	line = malloc(n + 2);
	if (line) {
		memcpy(line, s, n);
		line[n] = '\n';
		line[n + 1] = '\0';
	}
	cJSON_free(s);
	return line;
}

/* Create @dir/<UTC time>[-N].jsonl with O_EXCL; its path into @path. Return: fd or -errno. */
static int create_file(const char *dir, char *path, size_t pathlen)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	if (!gmtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm))
		return -EINVAL;
	for (int i = 0; i < SEL_NAME_TRIES; i++) {
		int fd, n;

		if (i == 0)
			n = snprintf(path, pathlen, "%s/%s.jsonl", dir, stamp);
		else
			n = snprintf(path, pathlen, "%s/%s-%d.jsonl", dir, stamp, i);
		if (n < 0 || (size_t)n >= pathlen)
			return -ENAMETOOLONG;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/*
 * Write @n records as JSON lines to a new file in @dir, fsync it and @dir.
 * @texts: the decodings.  On failure the file is removed.  Return: 0 or -errno.
 */
static int write_file(const char *dir, const uint8_t (*recs)[BMC_IPMI_SEL_RECORD],
		      char (*texts)[SEL_TEXT_MAX], size_t n, char *path, size_t pathlen,
		      char *err, size_t errlen)
{
	const char *what = "write";
	int fd, rc = 0;

	fd = create_file(dir, path, pathlen);
	if (fd < 0) {
		set_err(err, errlen, "SEL save: cannot create a file in %s: %s", dir,
			strerror(-fd));
		return fd;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		char *line = json_line(recs[i], texts[i]);

		rc = line ? sov_write_all(fd, line, strlen(line)) : -ENOMEM;
		free(line);
	}
	if (!rc && fsync(fd) < 0) {
		rc = -errno;
		what = "fsync";
	}
	/* close() reports errors of NFS and the like, deferred until then */
	if (close(fd) < 0 && !rc) {
		rc = -errno;
		what = "close";
	}
	if (!rc) {
		rc = sov_fsync_dir(dir, 0);
		what = "fsync of the directory";
	}
	if (rc) {
		set_err(err, errlen, "SEL save: %s %s: %s", what, path, strerror(-rc));
		unlink(path);
		/* the removal reaches the disk as best it can; the error is rc's */
		sov_fsync_dir(dir, 0);
	}
	return rc;
}

static size_t journal(const uint8_t (*recs)[BMC_IPMI_SEL_RECORD], char (*texts)[SEL_TEXT_MAX],
		      size_t n, const char *path)
{
	size_t failed = 0;

	for (size_t i = 0; i < n; i++) {
		char hex[2 * BMC_IPMI_SEL_RECORD + 1];

		hex16(recs[i], hex);
		if (sd_journal_send("MESSAGE=%s", texts[i], "PRIORITY=%d", LOG_INFO,
				    "SYSLOG_IDENTIFIER=sovereign-bmc", "SOVEREIGN_SEL_RAW=%s", hex,
				    "SOVEREIGN_SEL_RECORD_ID=%u", recs[i][0] | recs[i][1] << 8,
				    "SOVEREIGN_SEL_FILE=%s", path, NULL) < 0)
			failed++;
	}
	return failed;
}

int bmc_sel_save(struct bmc_ipmi *b, const char *dir, bool clear, struct bmc_sel_result *res,
		 char *err, size_t errlen)
{
	uint8_t (*recs)[BMC_IPMI_SEL_RECORD] = NULL;
	char (*texts)[SEL_TEXT_MAX] = NULL;
	int rc;

	if (!b || !dir || !*dir || !res) {
		set_err(err, errlen, "SEL save: bad arguments");
		return -EINVAL;
	}
	memset(res, 0, sizeof(*res));
	if (err && errlen)
		err[0] = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		set_err(err, errlen, "SEL save: cannot create %s: %s", dir, strerror(-rc));
		return rc;
	}
	recs = calloc(BMC_SEL_MAX, sizeof(*recs));
	texts = calloc(BMC_SEL_MAX, sizeof(*texts));
	if (!recs || !texts) {
		rc = -ENOMEM;
		set_err(err, errlen, "SEL save: out of memory");
		goto out;
	}
	rc = -EAGAIN;
	for (int attempt = 0; attempt < SEL_ATTEMPTS; attempt++) {
		struct bmc_ipmi_sel_info before = { 0 }, after = { 0 };
		uint16_t reservation = 0;
		size_t n;
		int got;

		if (clear) {
			rc = bmc_ipmi_sel_reserve(b, &reservation);
			if (rc == 0)
				rc = bmc_ipmi_sel_info(b, &before);
			if (rc < 0) {
				set_err(err, errlen, "SEL save: %s", bmc_ipmi_strerror(b));
				goto out;
			}
		}
		got = bmc_ipmi_sel_read(b, recs, BMC_SEL_MAX);
		if (got < 0) {
			rc = got;
			set_err(err, errlen, "SEL save: %s", bmc_ipmi_strerror(b));
			goto out;
		}
		if (got == 0) {
			rc = 0; /* empty: no file, nothing to clear */
			goto out;
		}
		n = (size_t)got > BMC_SEL_MAX ? BMC_SEL_MAX : (size_t)got;
		for (size_t i = 0; i < n; i++)
			bmc_sel_decode(recs[i], texts[i], SEL_TEXT_MAX);
		rc = write_file(dir, (const uint8_t (*)[BMC_IPMI_SEL_RECORD])recs, texts, n,
				res->path, sizeof(res->path), err, errlen);
		if (rc < 0)
			goto out;
		res->entries = n;
		res->journal_errors = journal((const uint8_t (*)[BMC_IPMI_SEL_RECORD])recs, texts,
					      n, res->path);
		if ((size_t)got > BMC_SEL_MAX) {
			rc = -EOVERFLOW;
			set_err(err, errlen,
				"SEL save: the SEL holds %d entries, only %d saved: not cleared",
				got, BMC_SEL_MAX);
			goto out;
		}
		if (!clear)
			goto out;
		/*
		 * Some BMCs (OpenIPMI's ipmi_sim) do not cancel the reservation
		 * when an entry is added: an entry count or last-add time that
		 * moved since the read counts as a cancellation too.  (The window
		 * between this check and the clear remains on such BMCs.)
		 */
		rc = bmc_ipmi_sel_info(b, &after);
		if (rc < 0) {
			set_err(err, errlen, "SEL save: saved to %s, not cleared: %s", res->path,
				bmc_ipmi_strerror(b));
			goto out;
		}
		if (after.entries == n && after.last_add == before.last_add)
			rc = bmc_ipmi_sel_clear_reserved(b, reservation);
		else
			rc = -EREMOTEIO; /* as if cancelled (below) */
		if (rc == 0) {
			res->cleared = true;
			goto out;
		}
		if (rc != -EREMOTEIO || (after.entries == n && after.last_add == before.last_add &&
					 bmc_ipmi_cc(b) != SEL_CC_CANCELLED)) {
			set_err(err, errlen, "SEL save: saved to %s, not cleared: %s", res->path,
				bmc_ipmi_strerror(b));
			goto out;
		}
		/* an entry came in (reservation cancelled): save again, new file */
		rc = -EAGAIN;
		set_err(err, errlen,
			"SEL save: the reservation was cancelled %d times (entries keep arriving); "
			"saved to %s, not cleared", attempt + 1, res->path);
	}
out:
	free(recs);
	free(texts);
	return rc;
}
