/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_redfish_action.c - the actions, resets, firmware update and tasks of
 * tools/redfish (redfish_action.c) against redfish_emu.py serving the DMTF
 * mockup: targets read from the resources (the mockup's non-conventional
 * SimpleUpdate target), allowable values, the Task to Completed, Exception,
 * 404 after running, a BMC reboot mid-update and after Manager.Reset, the
 * session limit, a leftover session deleted; plus the pure parsers. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include "redfish.h"

#include "rf_emu.h"

#define MANAGER "/redfish/v1/Managers/BMC"
#define SYSTEM "/redfish/v1/Systems/437XR1138R2"
#define SIMPLE_UPDATE "/redfish/v1/UpdateService/Actions/SimpleUpdate"
#define BMC_FW "/redfish/v1/UpdateService/FirmwareInventory/BMC"
#define MOCKUP_BMC_VERSION "1.45.455b66-rev4"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

static struct rf_opts opts(void)
{
	return (struct rf_opts){ .base_url = emu.url, .user = "admin", .password = "secret",
				 .connect_timeout_ms = 2000, .timeout_ms = 10000 };
}

static struct rf_client *open_ok(void)
{
	struct rf_opts o = opts();
	struct rf_client *c = NULL;
	struct rf_error e = { 0 };
	int ret = rf_open(&o, &c, &e);

	cr_assert_eq(ret, 0, "rf_open: %d %s", ret, e.msg);
	return c;
}

static void close_ok(struct rf_client *c)
{
	struct rf_error e = { 0 };

	cr_assert_eq(rf_close(c, &e), 0, "rf_close: %s", e.msg);
}

/* state_str - /_emu/state's @what[@i] (an array of strings), or "". */
static void state_str(const char *what, int i, char *out, size_t len)
{
	cJSON *s = emu_ctl("/_emu/state", NULL);
	cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(s, what), i);

	snprintf(out, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
	cJSON_Delete(s);
}

/* state_version - the emulator's own FirmwareInventory Version of @uri. */
static void state_version(const char *uri, char *out, size_t len)
{
	cJSON *s = emu_ctl("/_emu/state", NULL);
	cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "versions"), uri);

	snprintf(out, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
	cJSON_Delete(s);
}

static void update_ok(struct rf_client *c, struct rf_update *u, const char *image,
		      struct rf_task *t)
{
	struct rf_error e = { 0 };

	cr_assert_eq(rf_update_discover(c, u, &e), 0, "%s", e.msg);
	cr_assert_eq(rf_simple_update(c, u, image, NULL, t, &e), 0, "%s", e.msg);
}

static void setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

TestSuite(redfish_action, .init = setup, .fini = emu_stop, .timeout = 90);

/* ---- discovery ------------------------------------------------------------ */

Test(redfish_action, targets_read_from_the_resources)
{
	const char *img = "https://repo.lab/fw/bmc-1.2.3.bin";
	struct rf_error e = { 0 };
	struct rf_update u;
	struct rf_action a;
	struct rf_task t;
	struct rf_client *c;
	char sys[RF_URI_MAX], post[RF_URI_MAX];

	emu_start(NULL);
	c = open_ok();
	cr_assert_eq(rf_discover_system(c, sys, &e), 0, "%s", e.msg);
	cr_assert_str_eq(sys, SYSTEM);

	cr_assert_eq(rf_action_find(c, MANAGER, "#Manager.Reset", "ResetType", &a, &e), 0, "%s",
		     e.msg);
	cr_assert_str_eq(a.target, MANAGER "/Actions/Manager.Reset");
	cr_assert_eq(a.nallow, 2);
	cr_assert_str_eq(a.allow[0], "ForceRestart");
	cr_assert_str_eq(a.allow[1], "GracefulRestart");
	cr_assert(rf_action_allows(&a, "GracefulRestart"));
	cr_assert_not(rf_action_allows(&a, "PowerCycle"));
	cr_assert_eq(rf_action_find(c, MANAGER, "#Manager.ResetToDefaults", "ResetType", &a, &e),
		     -ENOENT, "an action the resource lacks");

	cr_assert_eq(rf_update_discover(c, &u, &e), 0, "%s", e.msg);
	cr_assert_str_eq(u.uri, "/redfish/v1/UpdateService");
	cr_assert_str_eq(u.inventory_uri, "/redfish/v1/UpdateService/FirmwareInventory");
	cr_assert_str_eq(u.simple.target, SIMPLE_UPDATE, "the mockup's own target, as read");
	cr_assert_str_eq(u.simple.info_uri, "/redfish/v1/UpdateService/SimpleUpdateActionInfo");
	/* TransferProtocol values come from the ActionInfo (not in the action). */
	cr_assert_eq(u.simple.nallow, 6);
	cr_assert(rf_action_allows(&u.simple, "HTTPS"));
	cr_assert_not(rf_action_allows(&u.simple, "NFS"));

	cr_assert_eq(rf_simple_update(c, &u, img, NULL, &t, &e), 0, "%s", e.msg);
	cr_assert_eq(emu_count("posts"), 1);
	state_str("posts", 0, post, sizeof(post));
	cr_assert_str_eq(post, SIMPLE_UPDATE, "what was POSTed to is the resource's target, not "
			 "the conventional .../UpdateService.SimpleUpdate");
	cr_assert_eq(t.http_status, 202);
	cr_assert_eq(strncmp(t.monitor, "/redfish/v1/TaskService/Tasks/", 30), 0, "%s",
		     t.monitor);
	cr_assert_eq(t.retry_after_s, 1, "Retry-After: 1 kept");

	/* A scheme the service does not list: refused before any POST. */
	cr_assert_eq(rf_simple_update(c, &u, "nfs://filer/fw/bmc-2.0.bin", NULL, &t, &e),
		     -EOPNOTSUPP);
	cr_assert(strstr(e.msg, "HTTPS"), "names what the service takes: %s", e.msg);
	cr_assert_eq(emu_count("posts"), 1);
	close_ok(c);
}

/* ---- resets --------------------------------------------------------------- */

Test(redfish_action, system_reset_with_an_allowed_value)
{
	const char *pref[] = { "PowerCycle", "ForceRestart", NULL };
	const char *none[] = { "PowerCycle", "FullPowerCycle", NULL };
	const char *first[] = { "GracefulShutdown", "ForceOff", NULL };
	struct rf_error e = { 0 };
	struct rf_client *c;
	char used[RF_VALUE_MAX], got[64];

	emu_start(NULL);
	c = open_ok();
	cr_assert_eq(rf_system_reset(c, SYSTEM, pref, used, &e), 0, "%s", e.msg);
	cr_assert_str_eq(used, "ForceRestart", "PowerCycle is not allowed: skipped");
	cr_assert_eq(emu_count("resets"), 1);
	state_str("resets", 0, got, sizeof(got));
	cr_assert_str_eq(got, "ForceRestart");

	cr_assert_eq(rf_system_reset(c, SYSTEM, first, used, &e), 0, "%s", e.msg);
	cr_assert_str_eq(used, "GracefulShutdown", "the first allowed preference wins");

	cr_assert_eq(rf_system_reset(c, SYSTEM, none, used, &e), -EOPNOTSUPP);
	cr_assert_str_eq(used, "");
	cr_assert(strstr(e.msg, "ForceOff") && strstr(e.msg, "PushPowerButton"),
		  "names what the system allows: %s", e.msg);
	cr_assert_eq(emu_count("resets"), 2, "nothing POSTed");
	cr_assert_eq(emu_count("posts"), 2);

	/* A service that advertises a value and then refuses it: 400 -> -EIO. */
	emu_fault("{\"allow\": {\"" SYSTEM "/Actions/ComputerSystem.Reset\": [\"On\"]}}");
	cr_assert_eq(rf_system_reset(c, SYSTEM, pref, used, &e), -EIO);
	cr_assert_eq(e.http_status, 400);
	cr_assert(strstr(e.msg, "ResetType"), "the service's words: %s", e.msg);
	cr_assert_eq(emu_count("resets"), 2);
	close_ok(c);
}

/* connect_refused - a bare TCP connect to the emulator's port is refused. */
static bool connect_refused(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)emu.port) };
	int s = socket(AF_INET, SOCK_STREAM, 0), r;

	cr_assert_geq(s, 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	r = connect(s, (struct sockaddr *)&a, sizeof(a));
	close(s);
	return r != 0 && errno == ECONNREFUSED;
}

Test(redfish_action, manager_reset_opens_a_reboot_window)
{
	const char *pref[] = { "GracefulRestart", "ForceRestart", NULL };
	struct rf_error e = { 0 };
	struct rf_opts o;
	struct rf_client *c;
	char used[RF_VALUE_MAX], got[64];
	double t0, t1;

	emu_start(NULL);
	emu_fault("{\"reboot_s\": 2}");
	c = open_ok();
	cr_assert_eq(emu_count("sessions"), 1);
	t0 = now_s();
	cr_assert_eq(rf_manager_reset(c, MANAGER, pref, used, &e), 0, "%s", e.msg);
	cr_assert_str_eq(used, "GracefulRestart");
	/* The listening socket closes just after the answer. */
	for (int i = 0; i < 50 && !connect_refused(); i++)
		sleep_s(0.02);
	cr_assert(connect_refused(), "connections are refused during the reboot");

	o = opts();
	o.connect_timeout_ms = 500;
	cr_assert_eq(rf_service_wait(&o, 300, &e), -ETIMEDOUT, "%s", e.msg);
	cr_assert(strstr(e.msg, "did not answer"), "%s", e.msg);
	cr_assert_eq(rf_service_wait(&o, 15000, &e), 0, "%s", e.msg);
	t1 = now_s() - t0;
	cr_assert_geq(t1, 1.7, "back after the 2 s window, not before: %.2f s", t1);
	cr_assert_lt(t1, 6.0, "rf_service_wait returns soon after: %.2f s", t1);
	cr_assert_not(connect_refused());
	cr_log_info("reboot window: refused for %.2f s (configured 2 s)", t1);

	cr_assert_eq(emu_count("sessions"), 0, "a rebooted BMC forgot its sessions");
	cr_assert_eq(emu_count("manager_resets"), 1);
	state_str("manager_resets", 0, got, sizeof(got));
	cr_assert_str_eq(got, "GracefulRestart");
	cr_assert_eq(emu_count("reboots"), 1);
	/* The old session is gone: closing it (DELETE -> 404) is still fine. */
	close_ok(c);
}

/* ---- firmware update and its task --------------------------------------- */

/* poll_until_done - poll every 100 ms until done or an error; the error. */
static int poll_until_done(struct rf_client *c, struct rf_task *t, int *running_seen,
			   int *pct_last, struct rf_error *e)
{
	double end = now_s() + 30;
	int ret;

	*running_seen = 0;
	*pct_last = -1;
	while (now_s() < end) {
		ret = rf_task_poll(c, t, e);
		if (ret)
			return ret;
		if (strcmp(t->state, "Running") == 0) {
			(*running_seen)++;
			cr_assert_geq(t->percent, *pct_last, "PercentComplete never goes back");
			*pct_last = t->percent;
		}
		if (t->done)
			return 0;
		sleep_s(0.1);
	}
	cr_assert_fail("the task did not end in 30 s");
	return -ETIMEDOUT;
}

Test(redfish_action, update_task_completes_and_version_changes)
{
	struct rf_error e = { 0 };
	struct rf_update u;
	struct rf_task t;
	struct rf_client *c;
	char v[RF_VERSION_MAX];
	int running, pct;

	emu_start(NULL);
	emu_fault("{\"update_s\": 1.5}");
	c = open_ok();
	cr_assert_eq(rf_update_discover(c, &u, &e), 0, "%s", e.msg);
	cr_assert_eq(rf_firmware_version(c, &u, MANAGER, v, &e), 0, "%s", e.msg);
	cr_assert_str_eq(v, MOCKUP_BMC_VERSION, "the member whose RelatedItem is the manager");
	cr_assert_eq(rf_firmware_version(c, &u, SYSTEM, v, &e), 0, "%s", e.msg);
	cr_assert_str_eq(v, "P79 v1.45", "the BIOS relates to the system");
	cr_assert_eq(rf_firmware_version(c, &u, BMC_FW, v, &e), 0, "%s", e.msg);
	cr_assert_str_eq(v, MOCKUP_BMC_VERSION, "an inventory member itself");

	update_ok(c, &u, "https://repo.lab/fw/bmc-1.2.3.bin", &t);
	cr_assert_eq(poll_until_done(c, &t, &running, &pct, &e), 0, "%s", e.msg);
	cr_assert_gt(running, 0, "Running was seen on the way");
	cr_assert(t.seen_running);
	cr_assert_str_eq(t.state, "Completed");
	cr_assert_str_eq(t.status, "OK");
	cr_assert_eq(t.percent, 100);
	cr_assert_str_eq(t.task_uri, t.monitor, "Location was the Task itself");
	cr_assert(strstr(t.message, "1.2.3"), "%s", t.message);
	cr_assert_eq(rf_firmware_version(c, &u, MANAGER, v, &e), 0, "%s", e.msg);
	cr_assert_str_eq(v, "1.2.3", "the version of the image's name");
	close_ok(c);
	cr_assert_eq(emu_count("sessions"), 0);
}

Test(redfish_action, update_through_a_task_monitor)
{
	struct rf_error e = { 0 };
	struct rf_update u;
	struct rf_task t;
	struct rf_client *c;
	char v[RF_VERSION_MAX];
	bool saw_202 = false;
	double end;

	emu_start(NULL);
	emu_fault("{\"update_s\": 1.2, \"task_monitor\": true, \"update_version\": \"7.0.1\"}");
	c = open_ok();
	update_ok(c, &u, "https://repo.lab/fw/image.bin", &t);
	cr_assert(strstr(t.monitor, "/Monitor"), "%s", t.monitor);
	for (end = now_s() + 20; now_s() < end && !t.done; sleep_s(0.1)) {
		cr_assert_eq(rf_task_poll(c, &t, &e), 0, "%s", e.msg);
		saw_202 |= t.http_status == 202;
	}
	cr_assert(saw_202, "the monitor answered 202 while running");
	cr_assert(t.done);
	cr_assert_eq(t.http_status, 200);
	cr_assert_str_eq(t.state, "Completed");
	cr_assert_eq(rf_firmware_version(c, &u, MANAGER, v, &e), 0, "%s", e.msg);
	cr_assert_str_eq(v, "7.0.1");
	close_ok(c);
}

Test(redfish_action, update_answered_with_a_task_body)
{
	struct rf_update u;
	struct rf_task t;
	struct rf_client *c;

	emu_start(NULL);
	emu_fault("{\"update_sync\": true}");
	c = open_ok();
	update_ok(c, &u, "http://repo.lab/fw/bmc-3.1.bin", &t);
	cr_assert_eq(t.http_status, 200);
	cr_assert_str_eq(t.monitor, t.task_uri, "no Location: the Task's @odata.id is polled");
	cr_assert_str_eq(t.state, "New");
	close_ok(c);
}

Test(redfish_action, update_exception_reported_with_its_message)
{
	struct rf_error e = { 0 };
	struct rf_update u;
	struct rf_task t;
	struct rf_client *c;
	char v[RF_VERSION_MAX];
	int running, pct;

	emu_start(NULL);
	emu_fault("{\"update_s\": 1, \"update_exception\": \"Image signature verification "
		  "failed.\"}");
	c = open_ok();
	update_ok(c, &u, "https://repo.lab/fw/bmc-9.9.9.bin", &t);
	cr_assert_eq(poll_until_done(c, &t, &running, &pct, &e), 0, "%s", e.msg);
	cr_assert(t.done);
	cr_assert_str_eq(t.state, "Exception");
	cr_assert_str_eq(t.status, "Critical");
	cr_assert_str_eq(t.message, "Image signature verification failed.");
	cr_assert_eq(rf_firmware_version(c, &u, MANAGER, v, &e), 0, "%s", e.msg);
	cr_assert_str_eq(v, MOCKUP_BMC_VERSION, "a failed update leaves the version");
	close_ok(c);
}

Test(redfish_action, task_404_after_running_then_version_verified)
{
	struct rf_error e = { 0 };
	struct rf_update u;
	struct rf_task t;
	struct rf_client *c;
	char v[RF_VERSION_MAX];
	int running, pct, ret;

	emu_start(NULL);
	emu_fault("{\"update_s\": 2, \"task_404_after_s\": 0.8}");
	c = open_ok();
	update_ok(c, &u, "https://repo.lab/fw/bmc-1.3.0.bin", &t);
	ret = poll_until_done(c, &t, &running, &pct, &e);
	cr_assert_eq(ret, -ENOENT, "the task vanished: %d %s", ret, e.msg);
	cr_assert_eq(e.http_status, 404);
	cr_assert(t.seen_running, "it was seen running first");
	cr_assert_not(t.done);
	cr_assert(strstr(e.msg, "outcome unknown"), "%s", e.msg);
	/* The caller's rule: finished, outcome unknown -> check the version. */
	for (double end = now_s() + 20; now_s() < end; sleep_s(0.2)) {
		cr_assert_eq(rf_firmware_version(c, &u, MANAGER, v, &e), 0, "%s", e.msg);
		if (strcmp(v, "1.3.0") == 0)
			break;
	}
	cr_assert_str_eq(v, "1.3.0", "the update completed although its task was gone");
	close_ok(c);
}

Test(redfish_action, bmc_reboot_mid_update)
{
	struct rf_error e = { 0 };
	struct rf_update u;
	struct rf_task t;
	struct rf_opts o = { 0 };
	struct rf_client *c;
	char v[RF_VERSION_MAX], emu_v[64];
	int refused = 0, ret = 0;
	double t_refused = 0, t_back;

	emu_start(NULL);
	/* Reboot at 1 s (half the update) for 2 s. */
	emu_fault("{\"update_s\": 2, \"update_reboot_s\": 2}");
	c = open_ok();
	update_ok(c, &u, "https://repo.lab/fw/bmc-2.0.0.bin", &t);
	for (double end = now_s() + 20; now_s() < end; sleep_s(0.1)) {
		ret = rf_task_poll(c, &t, &e);
		if (ret == -ECONNREFUSED) {
			refused++;
			t_refused = now_s();
			break;
		}
		cr_assert_eq(ret, 0, "%d %s", ret, e.msg);
	}
	cr_assert_eq(ret, -ECONNREFUSED, "polling during the reboot: refused (%s)", e.msg);
	cr_assert(t.seen_running);
	/* Still refused a moment later: the window, not one dropped request. */
	sleep_s(0.3);
	cr_assert_eq(rf_task_poll(c, &t, &e), -ECONNREFUSED, "%s", e.msg);
	o = opts();
	cr_assert_eq(rf_service_wait(&o, 15000, &e), 0, "%s", e.msg);
	t_back = now_s() - t_refused;
	cr_assert_gt(t_back, 1.2, "waited out the window: %.2f s", t_back);
	cr_assert_lt(t_back, 6.0, "%.2f s", t_back);
	cr_log_info("reboot mid-update: back %.2f s after the first refusal", t_back);
	/* The session died with the reboot: the client logs in again (401
	 * path) and finds the task gone. */
	ret = rf_task_poll(c, &t, &e);
	cr_assert_eq(ret, -ENOENT, "the task did not survive the reboot: %d %s", ret, e.msg);
	cr_assert(rf_is_session(c), "logged in again");
	cr_assert_eq(rf_firmware_version(c, &u, MANAGER, v, &e), 0, "%s", e.msg);
	cr_assert_str_eq(v, "2.0.0", "the BMC came back with the new firmware");
	state_version(BMC_FW, emu_v, sizeof(emu_v));
	cr_assert_str_eq(emu_v, "2.0.0");
	close_ok(c);
	cr_assert_eq(emu_count("sessions"), 0, "the new session is deleted");
}

/* ---- sessions -------------------------------------------------------------- */

Test(redfish_action, session_limit_falls_back_to_basic_auth)
{
	struct rf_error e = { 0 };
	struct rf_client *a, *b;
	char sys[RF_URI_MAX];

	emu_start("--max-sessions", "1", NULL);
	a = open_ok();
	cr_assert(rf_is_session(a));
	cr_assert_eq(strncmp(rf_session_uri(a), "/redfish/v1/SessionService/Sessions/", 36), 0,
		     "%s", rf_session_uri(a));
	b = open_ok();
	cr_assert_not(rf_is_session(b), "503 SessionLimitExceeded: basic auth");
	cr_assert_str_eq(rf_session_uri(b), "");
	cr_assert_eq(rf_discover_system(b, sys, &e), 0, "basic auth works: %s", e.msg);
	cr_assert_gt(emu_count("basic_requests"), 0);
	cr_assert_eq(emu_count("sessions"), 1, "no second session");
	close_ok(b);
	close_ok(a);
	cr_assert_eq(emu_count("sessions"), 0, "no session leaked");
}

Test(redfish_action, leftover_session_deleted)
{
	struct rf_error e = { 0 };
	struct rf_opts o;
	struct rf_client *c;
	char uri[RF_URI_MAX] = "";
	int fd[2], st;
	ssize_t n;
	pid_t pid;

	emu_start("--max-sessions", "1", NULL);
	/* A process that logs in and dies without logging out. */
	cr_assert_eq(pipe(fd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct rf_opts co = opts();
		struct rf_client *cc = NULL;

		close(fd[0]);
		if (rf_open(&co, &cc, NULL) != 0)
			_exit(1);
		if (write(fd[1], rf_session_uri(cc), strlen(rf_session_uri(cc))) < 0)
			_exit(2);
		_exit(0);	/* killed: no rf_close() */
	}
	close(fd[1]);
	n = read(fd[0], uri, sizeof(uri) - 1);
	close(fd[0]);
	waitpid(pid, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_gt(n, 0);
	uri[n] = '\0';
	cr_assert_eq(emu_count("sessions"), 1, "the dead process's session is still open");

	c = open_ok();
	cr_assert_not(rf_is_session(c), "the leftover fills the limit");
	close_ok(c);

	o = opts();
	cr_assert_eq(rf_session_delete(&o, uri, &e), 0, "%s", e.msg);
	cr_assert_eq(emu_count("sessions"), 0, "the leftover is gone");
	cr_assert_eq(rf_session_delete(&o, uri, &e), 0, "404: already gone is success");
	c = open_ok();
	cr_assert(rf_is_session(c), "a session can be had again");
	close_ok(c);
	cr_assert_eq(emu_count("sessions"), 0);
}

/* ---- many BMCs on one port ------------------------------------------------- */

Test(redfish_action, many_bmcs_by_local_address)
{
	const char *pref[] = { "ForceRestart", NULL };
	struct rf_error e = { 0 };
	struct rf_client *c;
	char url0[64], used[RF_VALUE_MAX];

	emu_start("--bmcs", "3", NULL);
	memcpy(url0, emu.url, sizeof(url0));
	snprintf(emu.url, sizeof(emu.url), "http://127.0.1.2:%d", emu.port);
	c = open_ok();
	cr_assert_eq(rf_system_reset(c, SYSTEM, pref, used, &e), 0, "%s", e.msg);
	cr_assert_eq(emu_count("resets"), 1);
	cr_assert_eq(emu_count("sessions"), 1);
	snprintf(emu.url, sizeof(emu.url), "http://127.0.1.3:%d", emu.port);
	cr_assert_eq(emu_count("resets"), 0, "another BMC: its own state");
	cr_assert_eq(emu_count("sessions"), 0);
	snprintf(emu.url, sizeof(emu.url), "http://127.0.1.2:%d", emu.port);
	close_ok(c);
	cr_assert_eq(emu_count("sessions"), 0);
	memcpy(emu.url, url0, sizeof(url0));
}

/* ---- pure parsers ------------------------------------------------------------ */

Test(redfish_action_json, retry_after)
{
	/* Sun, 06 Nov 1994 08:49:37 GMT is 784111777 (RFC 9110's example). */
	cr_assert_eq(rf_retry_after("5", 0), 5);
	cr_assert_eq(rf_retry_after("0", 0), 0);
	cr_assert_eq(rf_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30), 30);
	cr_assert_eq(rf_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30), 0,
		     "a date in the past: now");
	cr_assert_eq(rf_retry_after("5s", 0), -1);
	cr_assert_eq(rf_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", 0), -1);
	cr_assert_eq(rf_retry_after("", 0), -1);
	cr_assert_eq(rf_retry_after("99999999999", 0), 86400, "capped at a day");
}

Test(redfish_action_json, task_and_action_bodies)
{
	struct rf_action a;
	struct rf_task t = { .percent = -1 };
	cJSON *j;

	j = cJSON_Parse("{\"@odata.id\": \"/redfish/v1/TaskService/Tasks/545\", \"TaskState\": "
			"\"Completed\", \"TaskStatus\": \"OK\", \"Messages\": [{\"Message\": "
			"\"line\\none\"}]}");
	cr_assert_eq(rf_json_task(j, &t, NULL), 0);
	cr_assert_str_eq(t.state, "Completed");
	cr_assert_str_eq(t.message, "line one", "control bytes dropped");
	cr_assert_str_eq(t.task_uri, "/redfish/v1/TaskService/Tasks/545");
	cr_assert_eq(t.percent, -1);
	cr_assert(rf_task_terminal(t.state));
	cr_assert_not(rf_task_terminal("Running"));
	cJSON_Delete(j);
	j = cJSON_Parse("{\"Id\": \"x\"}");
	cr_assert_eq(rf_json_task(j, &t, NULL), -ENOENT, "not a Task");
	cJSON_Delete(j);
	j = cJSON_Parse("{\"TaskState\": 3}");
	cr_assert_eq(rf_json_task(j, &t, NULL), -EPROTO);
	cJSON_Delete(j);

	j = cJSON_Parse("{\"Actions\": {\"Oem\": {\"#X.Reset\": {\"target\": \"/x/reset\", "
			"\"ResetType@Redfish.AllowableValues\": [\"A\", \"B\"]}}}}");
	cr_assert_eq(rf_json_action(j, "#X.Reset", "ResetType", &a, NULL), 0);
	cr_assert_str_eq(a.target, "/x/reset");
	cr_assert_eq(a.nallow, 2);
	cr_assert_eq(rf_json_action(j, "#Y.Reset", NULL, &a, NULL), -ENOENT);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"Actions\": {\"#X.Reset\": {\"target\": \"http://evil/x\"}}}");
	cr_assert_eq(rf_json_action(j, "#X.Reset", NULL, &a, NULL), -EPROTO,
		     "a target must be a path on this service");
	cJSON_Delete(j);
	j = cJSON_Parse("{\"RelatedItem\": [{\"@odata.id\": \"/redfish/v1/Managers/BMC/\"}]}");
	cr_assert(rf_json_related(j, MANAGER));
	cr_assert_not(rf_json_related(j, "/redfish/v1/Managers/BM"));
	cJSON_Delete(j);
}
