/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipmi.h - the BMC transport: IPMI 2.0 (RMCP+, "lanplus") sessions to a
 * BMC, in-process on libfreeipmi, and the standard commands the fleet layer
 * needs (device ID, watchdog, SOL enable, SEL, chassis control) plus one
 * entry point for vendor OEM commands.
 *
 * Context: process context, blocking; a handle belongs to one thread at a
 * time (libfreeipmi contexts are not thread-safe).  Never on the real-time
 * path.  Every call is bounded by the session timeout given at open (an
 * unreachable or silent BMC fails in that many seconds).
 *
 * Errors: -errno, and a description of the last error, completion code
 * named, from bmc_ipmi_strerror(); nothing is printed.
 *   -EACCES          wrong user name or password (authentication)
 *   -EPERM           privilege level refused at session open; a forbidden
 *                    OEM command (bmc_ipmi_raw)
 *   -ETIMEDOUT       no (or no more) answer within the session timeout
 *   -EREMOTEIO       the BMC answered with a completion code other than
 *                    0x00: bmc_ipmi_cc() gives it
 *   -EPROTONOSUPPORT no IPMI 2.0, cipher suite or authentication type
 *   -EPROTO          a response too short for its command
 *   -EINVAL          bad arguments; -ENOMEM; -EIO any other failure
 */
#ifndef SOVEREIGN_BMC_IPMI_H
#define SOVEREIGN_BMC_IPMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BMC_IPMI_PORT 623
#define BMC_IPMI_PASSWORD_MAX 20 /* IPMI 2.0 */
#define BMC_IPMI_SEL_RECORD 16

struct bmc_ipmi;

struct bmc_ipmi_opts {
	const char *host;       /* IPv4 address or host name */
	unsigned int port;      /* UDP port; 0: 623 */
	const char *user;       /* NULL or "": the anonymous user */
	const char *password;   /* not NUL-terminated; copied, then wiped */
	size_t password_len;    /* at most BMC_IPMI_PASSWORD_MAX */
	unsigned int cipher_suite; /* RMCP+ cipher suite id, e.g. 3 or 17 */
	unsigned int timeout_ms;   /* session timeout; 0: 5000 */
	unsigned int retransmit_ms; /* 0: 1000 (must be < timeout_ms) */
	/*
	 * The BMC grants the privilege in the RAKP exchange only if the Open
	 * Session request asks for it (OpenIPMI ipmi_sim, some old firmware):
	 * libfreeipmi's OPEN_SESSION_PRIVILEGE workaround.  Off for real BMCs.
	 */
	bool open_session_priv_workaround;
};

/*
 * bmc_ipmi_open() - open an IPMI 2.0 session at ADMINISTRATOR privilege.
 * @o:      where and how; o->password is copied and the copy wiped after
 *          the session is up (the caller wipes its own buffer)
 * @out:    the handle on success
 * @err:    on failure, a description (may be NULL); @errlen its size
 * Return: 0, or -errno as in the header comment.  Ownership: *@out is the
 * caller's, freed by bmc_ipmi_close().
 */
int bmc_ipmi_open(const struct bmc_ipmi_opts *o, struct bmc_ipmi **out, char *err,
		  size_t errlen);

/* bmc_ipmi_close() - close the session (bounded) and free @b; NULL is a no-op. */
void bmc_ipmi_close(struct bmc_ipmi *b);

/* bmc_ipmi_strerror() - description of @b's last error ("" if none); owned by @b. */
const char *bmc_ipmi_strerror(const struct bmc_ipmi *b);

/* bmc_ipmi_cc() - the completion code of @b's last -EREMOTEIO, else -1. */
int bmc_ipmi_cc(const struct bmc_ipmi *b);

/* bmc_ipmi_cc_name() - the IPMI specification's name of completion code @cc. */
const char *bmc_ipmi_cc_name(uint8_t cc);

struct bmc_ipmi_devid {
	uint8_t device_id;
	uint8_t device_rev;       /* low nibble */
	uint8_t fw_major;         /* 7 bits */
	uint8_t fw_minor;         /* BCD, as sent */
	uint8_t ipmi_version;     /* BCD: 0x02 = 2.0 (low nibble major) */
	uint8_t device_support;
	uint32_t manufacturer_id; /* IANA enterprise number, 20 bits */
	uint16_t product_id;
};

/* bmc_ipmi_device_id() - Get Device ID (App 0x01).  Return: 0 or -errno. */
int bmc_ipmi_device_id(struct bmc_ipmi *b, struct bmc_ipmi_devid *d);

struct bmc_ipmi_watchdog {
	uint8_t timer_use;      /* bits 2:0 use; bit 6 running (get) / keep running (set); bit 7 don't log */
	uint8_t timer_actions;  /* bits 2:0 timeout action; bits 6:4 pre-timeout interrupt */
	uint8_t pretimeout_s;   /* pre-timeout interval, seconds */
	uint8_t expire_flags;   /* get: expiration flags; set: flags to clear */
	uint16_t initial;       /* initial countdown, 100 ms units */
	uint16_t present;       /* get only: present countdown; 0 if the BMC leaves it out */
};

/*
 * bmc_ipmi_get_watchdog() / bmc_ipmi_set_watchdog() - Get/Set Watchdog Timer
 * (App 0x25 / 0x24).  Setting timer_use without bit 6 stops a running timer
 * (how "watchdog off" is done).  Return: 0 or -errno.
 */
int bmc_ipmi_get_watchdog(struct bmc_ipmi *b, struct bmc_ipmi_watchdog *w);
int bmc_ipmi_set_watchdog(struct bmc_ipmi *b, const struct bmc_ipmi_watchdog *w);

/*
 * bmc_ipmi_reset_watchdog() - Reset Watchdog Timer (App 0x22): starts the
 * timer as last set (how a watchdog that ran before standby is restarted).
 * Return: 0 or -errno (-EREMOTEIO cc 0x80: the timer was never set).
 */
int bmc_ipmi_reset_watchdog(struct bmc_ipmi *b);

/*
 * bmc_ipmi_get_sol_enable() / bmc_ipmi_set_sol_enable() - SOL configuration
 * parameter 1, SOL Enable (Transport 0x22 / 0x21), of LAN @channel (usually
 * 1).  Return: 0 or -errno.
 */
int bmc_ipmi_get_sol_enable(struct bmc_ipmi *b, uint8_t channel, bool *enabled);
int bmc_ipmi_set_sol_enable(struct bmc_ipmi *b, uint8_t channel, bool enabled);

/*
 * bmc_ipmi_sol_deactivate() - Deactivate Payload (App 0x49) of SOL instance
 * 1: ends a console session someone has open.
 * Return: 1 if one was active and is ended, 0 if none was (cc 0x80 already
 * deactivated, 0x81 SOL disabled), or -errno.
 */
int bmc_ipmi_sol_deactivate(struct bmc_ipmi *b);

struct bmc_ipmi_sel_info {
	uint8_t version;       /* BCD, 0x51 = 1.5 */
	uint16_t entries;
	uint16_t free_bytes;
	uint32_t last_add;     /* timestamps, seconds */
	uint32_t last_erase;
	uint8_t operations;    /* operation support bits */
};

/* bmc_ipmi_sel_info() - Get SEL Info (Storage 0x40).  Return: 0 or -errno. */
int bmc_ipmi_sel_info(struct bmc_ipmi *b, struct bmc_ipmi_sel_info *i);

/*
 * bmc_ipmi_sel_entry() - Get SEL Entry (Storage 0x43) of record @id
 * (0x0000 first, 0xFFFF last): the 16 raw bytes into @rec, the next
 * record's id into *@next (0xFFFF: none).  Return: 0 or -errno.
 */
int bmc_ipmi_sel_entry(struct bmc_ipmi *b, uint16_t id, uint16_t *next,
		       uint8_t rec[BMC_IPMI_SEL_RECORD]);

/*
 * bmc_ipmi_sel_read() - every SEL record, first to last, at most @max into
 * @recs.  Return: the number of records (more than @max: the log has more;
 * only @max were stored), or -errno.
 */
int bmc_ipmi_sel_read(struct bmc_ipmi *b, uint8_t (*recs)[BMC_IPMI_SEL_RECORD], size_t max);

/*
 * bmc_ipmi_sel_clear() - Reserve SEL, Clear SEL (Storage 0x42, 0x47) and
 * wait (bounded by the session timeout) for the erasure to complete.
 * Return: 0 or -errno (-ETIMEDOUT: still erasing).
 */
int bmc_ipmi_sel_clear(struct bmc_ipmi *b);

/*
 * bmc_ipmi_sel_reserve() / bmc_ipmi_sel_clear_reserved() - the two halves of
 * bmc_ipmi_sel_clear(), for a caller that must not lose an entry: reserve,
 * read every entry, save it, then clear with the reservation.  A BMC cancels
 * the reservation when an entry is added (or the SEL changes) in between, so
 * the clear then fails with -EREMOTEIO, completion code 0xC5 (reservation
 * cancelled), and nothing is erased.  Return: 0 or -errno.
 */
int bmc_ipmi_sel_reserve(struct bmc_ipmi *b, uint16_t *reservation);
int bmc_ipmi_sel_clear_reserved(struct bmc_ipmi *b, uint16_t reservation);

enum bmc_ipmi_chassis_op {
	BMC_IPMI_POWER_DOWN = 0,
	BMC_IPMI_POWER_UP = 1,
	BMC_IPMI_POWER_CYCLE = 2,
	BMC_IPMI_HARD_RESET = 3,
	BMC_IPMI_DIAG_INTERRUPT = 4,
	BMC_IPMI_SOFT_SHUTDOWN = 5,
};

/* bmc_ipmi_chassis_control() - Chassis Control (Chassis 0x02).  Return: 0 or -errno. */
int bmc_ipmi_chassis_control(struct bmc_ipmi *b, enum bmc_ipmi_chassis_op op);

/* bmc_ipmi_chassis_power() - Get Chassis Status (Chassis 0x01): *@on = power is on. */
int bmc_ipmi_chassis_power(struct bmc_ipmi *b, bool *on);

/*
 * bmc_ipmi_oem_forbidden() - whether @netfn/@cmd is a command this transport
 * never sends: NetFn 0x32 cmd 0x71 (AMI MegaRAC LAN/NIC configuration: can
 * cut the BMC off the network) and cmd 0x73 (AMI POST code, mistaken for a
 * KVM/virtual-media switch).
 */
bool bmc_ipmi_oem_forbidden(uint8_t netfn, uint8_t cmd);

/*
 * bmc_ipmi_raw() - send a vendor OEM command: @netfn must be an OEM or
 * group-extension request NetFn (0x2C..0x3E, even); forbidden commands
 * (bmc_ipmi_oem_forbidden) are refused with -EPERM before anything is sent.
 * @req/@req_len: the request data after the command byte.
 * @rsp/@rsp_max: the response data after the completion code.
 * Return: the number of response data bytes (at most @rsp_max: the rest is
 * dropped), or -errno (-EREMOTEIO: completion code in bmc_ipmi_cc()).
 */
int bmc_ipmi_raw(struct bmc_ipmi *b, uint8_t netfn, uint8_t cmd, const uint8_t *req,
		 size_t req_len, uint8_t *rsp, size_t rsp_max);

#endif /* SOVEREIGN_BMC_IPMI_H */
