/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oem_plugin.c - an ipmi_sim module (lan.conf: loadlib) that answers vendor
 * OEM commands the way the vendor named by the BMC's manufacturer ID (the
 * .emu's mc_add) does:
 *   Supermicro (IANA 10876 = 0x002A7C): NetFn 0x30 cmd 0x45 fan mode,
 *     [0x00] get -> [cc, mode]; [0x01, mode] set -> [cc]; the mode is kept
 *     in memory (per process: one BMC per ipmi_sim), so get reflects set;
 *   Dell iDRAC9 >= 3.34 (IANA 674 = 0x0002A2): NetFn 0x30 cmd 0x30 (manual
 *     fan control) refused with 0xD4 insufficient privilege, as new
 *     firmware does;
 *   any other manufacturer, or the other vendor's command: 0xC1 invalid
 *   command.
 * Registering netfn 0x30 cmds 0x30 and 0x45 replaces only those two entries
 * of ipmi_sim's own OEM table (its demo cmds 0x01..0x04 stay).
 * Context: ipmi_sim's single-threaded event loop.
 */
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include <OpenIPMI/serv.h>
#include <OpenIPMI/mcserv.h>

#define IANA_SUPERMICRO 10876u
#define IANA_DELL 674u

#define CC_OK 0x00
#define CC_INVALID_CMD 0xc1
#define CC_INVALID_DATA 0xcc
#define CC_LENGTH 0xc7
#define CC_PRIVILEGE 0xd4

/*
 * ipmi_sim's App NetFn command table (lanserv/bmc_app.c), exported by the
 * ipmi_sim executable though no installed header declares it: the plugin
 * asks the MC its own Get Device ID, so the vendor is the .emu's, whatever
 * it says.
 */
extern cmd_handler_f app_netfn_handlers[256];

int ipmi_sim_module_init(sys_data_t *sys, const char *initstr);

static unsigned char fan_mode; /* Supermicro: 0 Standard after a BMC reset */

/* manufacturer() - the IANA number @mc answers Get Device ID with; 0 if none. */
static uint32_t manufacturer(lmc_data_t *mc)
{
	unsigned char rsp[IPMI_SIM_MAX_MSG_LENGTH];
	unsigned int len = sizeof(rsp);
	unsigned char nodata[1] = { 0 };
	msg_t m;

	memset(&m, 0, sizeof(m));
	m.netfn = 0x06;
	m.cmd = 0x01;
	m.data = nodata;
	m.len = 0;
	if (!app_netfn_handlers[0x01])
		return 0;
	app_netfn_handlers[0x01](mc, &m, rsp, &len, NULL);
	/* cc, dev id, rev, fw1, fw2, ipmi ver, support, mfg[3], product[2] */
	if (len < 10 || rsp[0] != CC_OK)
		return 0;
	return rsp[7] | (uint32_t)rsp[8] << 8 | (uint32_t)rsp[9] << 16;
}

static void reply(unsigned char *rdata, unsigned int *rdata_len, unsigned char cc)
{
	rdata[0] = cc;
	*rdata_len = 1;
}

/* NetFn 0x30 cmd 0x45: Supermicro fan mode. */
static void fan_mode_cmd(lmc_data_t *mc, msg_t *msg, unsigned char *rdata,
			 unsigned int *rdata_len, void *cb_data)
{
	(void)cb_data;
	if (manufacturer(mc) != IANA_SUPERMICRO)
		return reply(rdata, rdata_len, CC_INVALID_CMD);
	if (msg->len < 1)
		return reply(rdata, rdata_len, CC_LENGTH);
	switch (msg->data[0]) {
	case 0x00:
		if (msg->len != 1)
			return reply(rdata, rdata_len, CC_LENGTH);
		rdata[0] = CC_OK;
		rdata[1] = fan_mode;
		*rdata_len = 2;
		return;
	case 0x01:
		if (msg->len != 2)
			return reply(rdata, rdata_len, CC_LENGTH);
		if (msg->data[1] > 4)
			return reply(rdata, rdata_len, CC_INVALID_DATA);
		fan_mode = msg->data[1];
		return reply(rdata, rdata_len, CC_OK);
	default:
		return reply(rdata, rdata_len, CC_INVALID_DATA);
	}
}

/* NetFn 0x30 cmd 0x30: Dell manual fan control, refused by new iDRACs. */
static void dell_fan_cmd(lmc_data_t *mc, msg_t *msg, unsigned char *rdata,
			 unsigned int *rdata_len, void *cb_data)
{
	(void)msg;
	(void)cb_data;
	reply(rdata, rdata_len, manufacturer(mc) == IANA_DELL ? CC_PRIVILEGE : CC_INVALID_CMD);
}

/*
 * ipmi_sim_module_init() - called by ipmi_sim for lan.conf's loadlib line.
 * Return: 0, or the errno ipmi_sim reports when a handler cannot be added.
 */
int ipmi_sim_module_init(sys_data_t *sys, const char *initstr)
{
	int rv;

	(void)sys;
	(void)initstr;
	rv = ipmi_emu_register_cmd_handler(0x30, 0x45, fan_mode_cmd, NULL);
	if (!rv)
		rv = ipmi_emu_register_cmd_handler(0x30, 0x30, dell_fan_cmd, NULL);
	return rv;
}
