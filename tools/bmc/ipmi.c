/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipmi.c - the BMC transport on libfreeipmi: IPMI 2.0 sessions and the
 * commands of ipmi.h, every one sent through xfer() as raw bytes (one place
 * that checks completion codes and refuses forbidden commands).
 */
#include "ipmi.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <freeipmi/freeipmi.h>

#define NETFN_CHASSIS 0x00
#define NETFN_APP 0x06
#define NETFN_STORAGE 0x0a
#define NETFN_TRANSPORT 0x0c

struct bmc_ipmi {
	ipmi_ctx_t ctx;
	unsigned int timeout_ms;
	int cc;          /* last -EREMOTEIO's completion code, else -1 */
	char err[256];
};

static const struct {
	uint8_t cc;
	const char *name;
} cc_names[] = {
	{ 0x00, "command completed normally" },
	{ 0xc0, "node busy" },
	{ 0xc1, "invalid command" },
	{ 0xc2, "command invalid for given LUN" },
	{ 0xc3, "timeout while processing command" },
	{ 0xc4, "out of space" },
	{ 0xc5, "reservation canceled or invalid reservation ID" },
	{ 0xc6, "request data truncated" },
	{ 0xc7, "request data length invalid" },
	{ 0xc8, "request data field length limit exceeded" },
	{ 0xc9, "parameter out of range" },
	{ 0xca, "cannot return number of requested data bytes" },
	{ 0xcb, "requested sensor, data, or record not present" },
	{ 0xcc, "invalid data field in request" },
	{ 0xcd, "command illegal for specified sensor or record type" },
	{ 0xce, "command response could not be provided" },
	{ 0xcf, "cannot execute duplicated request" },
	{ 0xd0, "SDR repository in update mode" },
	{ 0xd1, "device in firmware update mode" },
	{ 0xd2, "BMC initialization in progress" },
	{ 0xd3, "destination unavailable" },
	{ 0xd4, "insufficient privilege level" },
	{ 0xd5, "command not supported in present state" },
	{ 0xd6, "command sub-function disabled or unavailable" },
	{ 0xff, "unspecified error" },
};

const char *bmc_ipmi_cc_name(uint8_t cc)
{
	for (size_t i = 0; i < sizeof(cc_names) / sizeof(cc_names[0]); i++)
		if (cc_names[i].cc == cc)
			return cc_names[i].name;
	if (cc >= 0x01 && cc <= 0x7e)
		return "device-specific (OEM) completion code";
	if (cc >= 0x80 && cc <= 0xbe)
		return "command-specific completion code";
	return "reserved completion code";
}

static void __attribute__((format(printf, 3, 4)))
set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* map_errnum() - a libfreeipmi error number as -errno. */
static int map_errnum(int e)
{
	switch (e) {
	case IPMI_ERR_USERNAME_INVALID:
	case IPMI_ERR_PASSWORD_INVALID:
	case IPMI_ERR_K_G_INVALID:
	case IPMI_ERR_PASSWORD_VERIFICATION_TIMEOUT:
		return -EACCES;
	case IPMI_ERR_PERMISSION:
	case IPMI_ERR_PRIVILEGE_LEVEL_INSUFFICIENT:
	case IPMI_ERR_PRIVILEGE_LEVEL_CANNOT_BE_OBTAINED:
		return -EPERM;
	case IPMI_ERR_CONNECTION_TIMEOUT:
	case IPMI_ERR_SESSION_TIMEOUT:
	case IPMI_ERR_MESSAGE_TIMEOUT:
		return -ETIMEDOUT;
	case IPMI_ERR_AUTHENTICATION_TYPE_UNAVAILABLE:
	case IPMI_ERR_CIPHER_SUITE_ID_UNAVAILABLE:
	case IPMI_ERR_IPMI_2_0_UNAVAILABLE:
		return -EPROTONOSUPPORT;
	case IPMI_ERR_BMC_BUSY:
		return -EBUSY;
	case IPMI_ERR_OUT_OF_MEMORY:
		return -ENOMEM;
	case IPMI_ERR_HOSTNAME_INVALID:
	case IPMI_ERR_PARAMETERS:
		return -EINVAL;
	default:
		return -EIO;
	}
}

bool bmc_ipmi_oem_forbidden(uint8_t netfn, uint8_t cmd)
{
	/* NetFn 0x32: AMI MegaRAC OEM.  0x71 LAN/NIC configuration, 0x73 POST code. */
	return netfn == 0x32 && (cmd == 0x71 || cmd == 0x73);
}

/*
 * xfer() - send @netfn/@cmd with @req, the response data after the
 * completion code into @rsp (at most @rsp_max).  @what names the command
 * in error descriptions.  Return: the response data length, or -errno.
 */
static int xfer(struct bmc_ipmi *b, const char *what, uint8_t netfn, uint8_t cmd,
		const uint8_t *req, size_t req_len, uint8_t *rsp, size_t rsp_max)
{
	uint8_t rq[1 + 255], rs[2 + 255];
	int n;

	b->cc = -1;
	b->err[0] = '\0';
	if (bmc_ipmi_oem_forbidden(netfn, cmd)) {
		set_err(b->err, sizeof(b->err),
			"%s: NetFn 0x%02x cmd 0x%02x is never sent (AMI LAN/NIC configuration or POST code)",
			what, netfn, cmd);
		return -EPERM;
	}
	if (req_len > sizeof(rq) - 1 || (req_len && !req)) {
		set_err(b->err, sizeof(b->err), "%s: request of %zu bytes", what, req_len);
		return -EINVAL;
	}
	rq[0] = cmd;
	if (req_len)
		memcpy(rq + 1, req, req_len);
	n = ipmi_cmd_raw(b->ctx, 0, netfn, rq, (unsigned int)(1 + req_len), rs, sizeof(rs));
	if (n < 0) {
		int e = ipmi_ctx_errnum(b->ctx);

		set_err(b->err, sizeof(b->err), "%s: %s", what, ipmi_ctx_errormsg(b->ctx));
		return map_errnum(e);
	}
	/* rs[0] = the command, rs[1] = the completion code */
	if (n < 2) {
		set_err(b->err, sizeof(b->err), "%s: response of %d bytes has no completion code",
			what, n);
		return -EPROTO;
	}
	if (rs[1] != 0x00) {
		b->cc = rs[1];
		set_err(b->err, sizeof(b->err), "%s: completion code 0x%02X (%s)", what, rs[1],
			bmc_ipmi_cc_name(rs[1]));
		return -EREMOTEIO;
	}
	n -= 2;
	if ((size_t)n > rsp_max)
		n = (int)rsp_max;
	if (n)
		memcpy(rsp, rs + 2, (size_t)n);
	return n;
}

/* short_rsp() - @what answered @n bytes, fewer than @want. */
static int short_rsp(struct bmc_ipmi *b, const char *what, int n, int want)
{
	set_err(b->err, sizeof(b->err), "%s: response of %d data bytes, %d expected", what, n,
		want);
	return -EPROTO;
}

int bmc_ipmi_open(const struct bmc_ipmi_opts *o, struct bmc_ipmi **out, char *err,
		  size_t errlen)
{
	char pw[BMC_IPMI_PASSWORD_MAX + 1], host[300];
	unsigned int timeout, retransmit, wa = 0;
	struct bmc_ipmi *b;
	int rv;

	if (!o || !out || !o->host || !*o->host || (o->password_len && !o->password) ||
	    o->cipher_suite > 255) {
		set_err(err, errlen, "bmc_ipmi_open: missing host or bad arguments");
		return -EINVAL;
	}
	if (o->password_len > BMC_IPMI_PASSWORD_MAX) {
		set_err(err, errlen, "password longer than %d bytes (IPMI 2.0)",
			BMC_IPMI_PASSWORD_MAX);
		return -EINVAL;
	}
	/* libfreeipmi takes the port as "host:port"; an IPv6 literal has colons. */
	if (o->port && o->port != BMC_IPMI_PORT) {
		if (strchr(o->host, ':') || o->port > 65535) {
			set_err(err, errlen, "%s: a port other than 623 needs an IPv4 address or a name",
				o->host);
			return -EINVAL;
		}
		snprintf(host, sizeof(host), "%s:%u", o->host, o->port);
	} else {
		snprintf(host, sizeof(host), "%s", o->host);
	}
	timeout = o->timeout_ms ? o->timeout_ms : 5000;
	retransmit = o->retransmit_ms ? o->retransmit_ms : 1000;
	if (retransmit >= timeout)
		retransmit = timeout / 2 ? timeout / 2 : 1;
	if (o->open_session_priv_workaround)
		wa |= IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_OPEN_SESSION_PRIVILEGE;

	b = calloc(1, sizeof(*b));
	if (!b) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b->cc = -1;
	b->timeout_ms = timeout;
	b->ctx = ipmi_ctx_create();
	if (!b->ctx) {
		free(b);
		set_err(err, errlen, "ipmi_ctx_create: out of memory");
		return -ENOMEM;
	}
	memset(pw, 0, sizeof(pw));
	if (o->password_len)
		memcpy(pw, o->password, o->password_len);
	rv = ipmi_ctx_open_outofband_2_0(b->ctx, host, o->user && *o->user ? o->user : NULL,
					 o->password_len ? pw : NULL, NULL, 0,
					 IPMI_PRIVILEGE_LEVEL_ADMIN, (uint8_t)o->cipher_suite,
					 timeout, retransmit, wa, IPMI_FLAGS_DEFAULT);
	explicit_bzero(pw, sizeof(pw));
	if (rv < 0) {
		int e = ipmi_ctx_errnum(b->ctx);

		set_err(err, errlen, "%s: IPMI 2.0 session: %s", host, ipmi_ctx_errormsg(b->ctx));
		ipmi_ctx_destroy(b->ctx);
		free(b);
		return map_errnum(e);
	}
	*out = b;
	return 0;
}

void bmc_ipmi_close(struct bmc_ipmi *b)
{
	if (!b)
		return;
	ipmi_ctx_close(b->ctx); /* Close Session: one bounded exchange */
	ipmi_ctx_destroy(b->ctx);
	free(b);
}

const char *bmc_ipmi_strerror(const struct bmc_ipmi *b)
{
	return b ? b->err : "";
}

int bmc_ipmi_cc(const struct bmc_ipmi *b)
{
	return b ? b->cc : -1;
}

int bmc_ipmi_device_id(struct bmc_ipmi *b, struct bmc_ipmi_devid *d)
{
	uint8_t r[32];
	int n = xfer(b, "Get Device ID", NETFN_APP, 0x01, NULL, 0, r, sizeof(r));

	if (n < 0)
		return n;
	if (n < 11)
		return short_rsp(b, "Get Device ID", n, 11);
	d->device_id = r[0];
	d->device_rev = r[1] & 0x0f;
	d->fw_major = r[2] & 0x7f;
	d->fw_minor = r[3];
	d->ipmi_version = r[4];
	d->device_support = r[5];
	d->manufacturer_id = (r[6] | (uint32_t)r[7] << 8 | (uint32_t)r[8] << 16) & 0x0fffff;
	d->product_id = (uint16_t)(r[9] | r[10] << 8);
	return 0;
}

int bmc_ipmi_get_watchdog(struct bmc_ipmi *b, struct bmc_ipmi_watchdog *w)
{
	uint8_t r[16];
	int n = xfer(b, "Get Watchdog Timer", NETFN_APP, 0x25, NULL, 0, r, sizeof(r));

	if (n < 0)
		return n;
	/* 8 bytes by the specification; ipmi_sim leaves out the present countdown */
	if (n < 6)
		return short_rsp(b, "Get Watchdog Timer", n, 8);
	w->timer_use = r[0];
	w->timer_actions = r[1];
	w->pretimeout_s = r[2];
	w->expire_flags = r[3];
	w->initial = (uint16_t)(r[4] | r[5] << 8);
	w->present = n >= 8 ? (uint16_t)(r[6] | r[7] << 8) : 0;
	return 0;
}

int bmc_ipmi_set_watchdog(struct bmc_ipmi *b, const struct bmc_ipmi_watchdog *w)
{
	uint8_t q[6] = { w->timer_use, w->timer_actions, w->pretimeout_s, w->expire_flags,
			 (uint8_t)(w->initial & 0xff), (uint8_t)(w->initial >> 8) };
	int n = xfer(b, "Set Watchdog Timer", NETFN_APP, 0x24, q, sizeof(q), NULL, 0);

	return n < 0 ? n : 0;
}

int bmc_ipmi_reset_watchdog(struct bmc_ipmi *b)
{
	int n = xfer(b, "Reset Watchdog Timer", NETFN_APP, 0x22, NULL, 0, NULL, 0);

	return n < 0 ? n : 0;
}

int bmc_ipmi_get_sol_enable(struct bmc_ipmi *b, uint8_t channel, bool *enabled)
{
	/* channel, parameter 1, set selector 0, block selector 0 */
	uint8_t q[4] = { (uint8_t)(channel & 0x0f), 0x01, 0x00, 0x00 }, r[8];
	int n = xfer(b, "Get SOL Configuration Parameters (SOL Enable)", NETFN_TRANSPORT, 0x22,
		     q, sizeof(q), r, sizeof(r));

	if (n < 0)
		return n;
	/* parameter revision, then the data */
	if (n < 2)
		return short_rsp(b, "Get SOL Configuration Parameters (SOL Enable)", n, 2);
	*enabled = r[1] & 0x01;
	return 0;
}

int bmc_ipmi_set_sol_enable(struct bmc_ipmi *b, uint8_t channel, bool enabled)
{
	uint8_t q[3] = { (uint8_t)(channel & 0x0f), 0x01, enabled ? 0x01 : 0x00 };
	int n = xfer(b, "Set SOL Configuration Parameters (SOL Enable)", NETFN_TRANSPORT, 0x21,
		     q, sizeof(q), NULL, 0);

	return n < 0 ? n : 0;
}

int bmc_ipmi_sol_deactivate(struct bmc_ipmi *b)
{
	uint8_t q[6] = { 0x01 /* SOL */, 0x01 /* instance */, 0, 0, 0, 0 };
	int n = xfer(b, "Deactivate Payload", NETFN_APP, 0x49, q, sizeof(q), NULL, 0);

	if (n == -EREMOTEIO && (b->cc == 0x80 || b->cc == 0x81))
		return 0; /* not active; SOL payload disabled */
	return n < 0 ? n : 1;
}

int bmc_ipmi_sel_info(struct bmc_ipmi *b, struct bmc_ipmi_sel_info *i)
{
	uint8_t r[16];
	int n = xfer(b, "Get SEL Info", NETFN_STORAGE, 0x40, NULL, 0, r, sizeof(r));

	if (n < 0)
		return n;
	if (n < 14)
		return short_rsp(b, "Get SEL Info", n, 14);
	i->version = r[0];
	i->entries = (uint16_t)(r[1] | r[2] << 8);
	i->free_bytes = (uint16_t)(r[3] | r[4] << 8);
	i->last_add = r[5] | (uint32_t)r[6] << 8 | (uint32_t)r[7] << 16 | (uint32_t)r[8] << 24;
	i->last_erase = r[9] | (uint32_t)r[10] << 8 | (uint32_t)r[11] << 16 |
			(uint32_t)r[12] << 24;
	i->operations = r[13];
	return 0;
}

int bmc_ipmi_sel_entry(struct bmc_ipmi *b, uint16_t id, uint16_t *next,
		       uint8_t rec[BMC_IPMI_SEL_RECORD])
{
	/* reservation 0 (a whole record needs none), record id, offset 0, all bytes */
	uint8_t q[6] = { 0, 0, (uint8_t)(id & 0xff), (uint8_t)(id >> 8), 0x00, 0xff };
	uint8_t r[2 + BMC_IPMI_SEL_RECORD];
	int n = xfer(b, "Get SEL Entry", NETFN_STORAGE, 0x43, q, sizeof(q), r, sizeof(r));

	if (n < 0)
		return n;
	if (n < (int)sizeof(r))
		return short_rsp(b, "Get SEL Entry", n, (int)sizeof(r));
	*next = (uint16_t)(r[0] | r[1] << 8);
	memcpy(rec, r + 2, BMC_IPMI_SEL_RECORD);
	return 0;
}

int bmc_ipmi_sel_read(struct bmc_ipmi *b, uint8_t (*recs)[BMC_IPMI_SEL_RECORD], size_t max)
{
	uint8_t rec[BMC_IPMI_SEL_RECORD];
	uint16_t id = 0x0000, next;
	int count = 0, rv;

	/* At most 0xFFFF records: a BMC whose "next" never ends cannot loop us. */
	while (count < 0xffff) {
		rv = bmc_ipmi_sel_entry(b, id, &next, rec);
		if (rv == -EREMOTEIO && b->cc == 0xcb && count == 0) {
			b->cc = -1; /* empty SEL: "record not present" */
			b->err[0] = '\0';
			return 0;
		}
		if (rv < 0)
			return rv;
		if ((size_t)count < max)
			memcpy(recs[count], rec, sizeof(rec));
		count++;
		if (next == 0xffff)
			return count;
		id = next;
	}
	set_err(b->err, sizeof(b->err), "Get SEL Entry: more than 65534 records");
	return -EPROTO;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

int bmc_ipmi_sel_reserve(struct bmc_ipmi *b, uint16_t *reservation)
{
	uint8_t r[2];
	int n = xfer(b, "Reserve SEL", NETFN_STORAGE, 0x42, NULL, 0, r, sizeof(r));

	if (n < 0)
		return n;
	if (n < 2)
		return short_rsp(b, "Reserve SEL", n, 2);
	*reservation = (uint16_t)(r[0] | r[1] << 8);
	return 0;
}

int bmc_ipmi_sel_clear_reserved(struct bmc_ipmi *b, uint16_t reservation)
{
	uint8_t r[4], q[6] = { (uint8_t)(reservation & 0xff), (uint8_t)(reservation >> 8),
			       'C', 'L', 'R', 0xaa };
	struct timespec t0;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = xfer(b, "Clear SEL", NETFN_STORAGE, 0x47, q, sizeof(q), r, sizeof(r));
		if (n < 0)
			return n;
		if (n < 1)
			return short_rsp(b, "Clear SEL", n, 1);
		if ((r[0] & 0x0f) == 0x01) /* erasure completed */
			return 0;
		if (elapsed_ms(&t0) > (long)b->timeout_ms) {
			set_err(b->err, sizeof(b->err), "Clear SEL: erasure still in progress after %u ms",
				b->timeout_ms);
			return -ETIMEDOUT;
		}
		q[5] = 0x00; /* get erasure status */
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000L }, NULL);
	}
}

int bmc_ipmi_sel_clear(struct bmc_ipmi *b)
{
	uint16_t reservation;
	int rc = bmc_ipmi_sel_reserve(b, &reservation);

	return rc < 0 ? rc : bmc_ipmi_sel_clear_reserved(b, reservation);
}

int bmc_ipmi_chassis_control(struct bmc_ipmi *b, enum bmc_ipmi_chassis_op op)
{
	uint8_t q[1] = { (uint8_t)op };
	int n;

	if ((unsigned int)op > BMC_IPMI_SOFT_SHUTDOWN) {
		set_err(b->err, sizeof(b->err), "Chassis Control: unknown operation %d", (int)op);
		return -EINVAL;
	}
	n = xfer(b, "Chassis Control", NETFN_CHASSIS, 0x02, q, sizeof(q), NULL, 0);
	return n < 0 ? n : 0;
}

int bmc_ipmi_chassis_power(struct bmc_ipmi *b, bool *on)
{
	uint8_t r[8];
	int n = xfer(b, "Get Chassis Status", NETFN_CHASSIS, 0x01, NULL, 0, r, sizeof(r));

	if (n < 0)
		return n;
	if (n < 3)
		return short_rsp(b, "Get Chassis Status", n, 3);
	*on = r[0] & 0x01;
	return 0;
}

int bmc_ipmi_raw(struct bmc_ipmi *b, uint8_t netfn, uint8_t cmd, const uint8_t *req,
		 size_t req_len, uint8_t *rsp, size_t rsp_max)
{
	if (netfn < 0x2c || netfn > 0x3e || (netfn & 1)) {
		b->cc = -1;
		set_err(b->err, sizeof(b->err),
			"raw: NetFn 0x%02x is not an OEM or group extension request", netfn);
		return -EINVAL;
	}
	return xfer(b, "OEM command", netfn, cmd, req, req_len, rsp, rsp_max);
}
