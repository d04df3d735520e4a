/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_redfish.c - the Redfish client (tools/redfish) against redfish_emu.py
 * serving the DMTF mockup on 127.0.0.1: sessions opened and always deleted,
 * basic auth fallback, discovery, PATCH with ETags and the 412 retry, errors
 * (401, unreachable, timeouts), password files; plus the pure JSON helpers. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include "redfish.h"

#include "rf_emu.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct rf_opts opts(const char *password)
{
	return (struct rf_opts){ .base_url = emu.url, .user = "admin",
				 .password = password ? password : "secret",
				 .connect_timeout_ms = 5000, .timeout_ms = 30000 };
}

static struct rf_client *open_ok(struct rf_opts o)
{
	struct rf_client *c = NULL;
	struct rf_error e = { 0 };
	int ret = rf_open(&o, &c, &e);

	cr_assert_eq(ret, 0, "rf_open: %d %s", ret, e.msg);
	cr_assert(c);
	return c;
}

static void setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

TestSuite(redfish, .init = setup, .fini = emu_stop, .timeout = 90);

/* ---- sessions ---------------------------------------------------------- */

Test(redfish, session_opened_and_deleted)
{
	struct rf_error e = { 0 };
	struct rf_client *c;

	emu_start(NULL);
	c = open_ok(opts(NULL));
	cr_assert(rf_is_session(c), "the mockup has a SessionService: a session is used");
	cr_assert_eq(emu_count("sessions"), 1);
	cr_assert_eq(emu_count("basic_requests"), 0, "no basic auth with a session");
	cr_assert_eq(rf_close(c, &e), 0, "%s", e.msg);
	cr_assert_eq(emu_count("sessions"), 0, "rf_close deletes the session");
}

Test(redfish, session_deleted_after_errors)
{
	struct rf_error e = { 0 };
	struct rf_manager m;
	struct rf_client *c;
	cJSON *j;

	emu_start(NULL);
	c = open_ok(opts(NULL));
	cr_assert_eq(rf_get(c, "/redfish/v1/Nowhere", &j, NULL, &e), -ENOENT, "%s", e.msg);
	cr_assert_null(j);
	cr_assert_eq(e.http_status, 404);
	cr_assert_eq(rf_discover_manager(c, &m, &e), 0, "%s", e.msg);
	emu_fault("{\"patch_412\": 2}");
	cr_assert_eq(rf_service_set(c, &m, RF_SVC_KVMIP, false, &e), -ESTALE);
	cr_assert_eq(emu_count("sessions"), 1);
	cr_assert_eq(rf_close(c, &e), 0, "%s", e.msg);
	cr_assert_eq(emu_count("sessions"), 0, "the session is deleted after the errors too");
}

Test(redfish, session_deleted_after_timeout)
{
	struct rf_error e = { 0 };
	struct rf_opts o;
	struct rf_client *c;
	double t0;
	cJSON *j;

	emu_start(NULL);
	o = opts(NULL);
	o.timeout_ms = 1000;
	c = open_ok(o);
	/* The next request (only) is answered after 4 s: past the timeout. */
	emu_fault("{\"delay_ms\": 4000, \"delay_count\": 1}");
	t0 = now_s();
	cr_assert_eq(rf_get(c, "/redfish/v1/Managers", &j, NULL, &e), -ETIMEDOUT, "%s", e.msg);
	cr_assert_lt(now_s() - t0, 3.5, "the total timeout bounds a slow answer");
	cr_assert_eq(rf_close(c, &e), 0, "%s", e.msg);
	cr_assert_eq(emu_count("sessions"), 0);
}

Test(redfish, expired_session_opened_again)
{
	struct rf_error e = { 0 };
	struct rf_manager m;
	struct rf_client *c;
	bool on;

	emu_start(NULL);
	c = open_ok(opts(NULL));
	cr_assert_eq(rf_discover_manager(c, &m, &e), 0, "%s", e.msg);
	emu_fault("{\"expire_sessions\": true}");
	cr_assert_eq(emu_count("sessions"), 0);
	/* The 401 is answered by one new login and one retry. */
	cr_assert_eq(rf_service_get(c, &m, RF_SVC_KVMIP, &on, &e), 0, "%s", e.msg);
	cr_assert(rf_is_session(c));
	cr_assert_eq(emu_count("sessions"), 1);
	emu_fault("{\"expire_sessions\": true}");
	cr_assert_eq(rf_service_set(c, &m, RF_SVC_KVMIP, false, &e), 0, "%s", e.msg);
	cr_assert_eq(emu_count("basic_requests"), 0);
	cr_assert_eq(rf_close(c, &e), 0, "%s", e.msg);
	cr_assert_eq(emu_count("sessions"), 0, "the new session is the one deleted");
}

Test(redfish, wrong_password_is_401)
{
	struct rf_opts o;
	struct rf_error e = { 0 };
	struct rf_client *c = (void *)1;

	emu_start(NULL);
	o = opts("not-the-password");
	cr_assert_eq(rf_open(&o, &c, &e), -EACCES);
	cr_assert_null(c);
	cr_assert_eq(e.code, -EACCES);
	cr_assert_eq(e.http_status, 401);
	cr_assert(strstr(e.msg, "401") && strstr(e.msg, "wrong user name or password"),
		  "the error says it: %s", e.msg);
	cr_assert_eq(emu_count("sessions"), 0);
}

Test(redfish, basic_auth_without_session_service)
{
	struct rf_error e = { 0 };
	struct rf_manager m;
	struct rf_client *c;
	struct rf_opts o;

	emu_start("--no-sessions", NULL);
	c = open_ok(opts(NULL));
	cr_assert_not(rf_is_session(c), "no SessionService: basic auth");
	cr_assert_eq(rf_discover_manager(c, &m, &e), 0, "%s", e.msg);
	cr_assert_gt(emu_count("basic_requests"), 0);
	cr_assert_eq(rf_close(c, &e), 0, "%s", e.msg);
	cr_assert_eq(emu_count("sessions"), 0);

	/* A wrong password is found at rf_open, not at first use. */
	o = opts("wrong");
	cr_assert_eq(rf_open(&o, &c, &e), -EACCES);
	cr_assert(strstr(e.msg, "401") && strstr(e.msg, "password"), "%s", e.msg);
	/* RF_AUTH_SESSION on a service without sessions: refused. */
	o = opts(NULL);
	o.auth = RF_AUTH_SESSION;
	cr_assert_eq(rf_open(&o, &c, &e), -ENOENT, "%s", e.msg);
}

Test(redfish, basic_auth_when_sessions_refused)
{
	struct rf_error e = { 0 };
	struct rf_client *c;
	struct rf_opts o;

	emu_start(NULL);
	emu_fault("{\"refuse_sessions\": true}");
	c = open_ok(opts(NULL));
	cr_assert_not(rf_is_session(c), "503 SessionLimitExceeded: basic auth instead");
	cr_assert_gt(emu_count("basic_requests"), 0);
	cr_assert_eq(rf_close(c, &e), 0);

	o = opts(NULL);
	o.auth = RF_AUTH_SESSION;
	cr_assert_eq(rf_open(&o, &c, &e), -EIO, "%s", e.msg);
	cr_assert_eq(e.http_status, 503);
	cr_assert(strstr(e.msg, "session"), "%s", e.msg);
}

/* ---- discovery and the switches ---------------------------------------- */

Test(redfish, discovery_finds_manager_and_network_protocol)
{
	struct rf_error e = { 0 };
	struct rf_manager m;
	struct rf_client *c;

	emu_start(NULL);
	c = open_ok(opts(NULL));
	cr_assert_eq(rf_discover_manager(c, &m, &e), 0, "%s", e.msg);
	/* The mockup's IDs, reached only through links. */
	cr_assert_str_eq(m.uri, "/redfish/v1/Managers/BMC");
	cr_assert_str_eq(m.netproto_uri, "/redfish/v1/Managers/BMC/NetworkProtocol");
	rf_close(c, NULL);
}

Test(redfish, kvmip_off_then_on_with_etags)
{
	struct rf_error e = { 0 };
	char im0[64], im1[64];
	struct rf_manager m;
	struct rf_client *c;
	bool on;

	emu_start("--require-if-match", NULL);
	c = open_ok(opts(NULL));
	cr_assert_eq(rf_discover_manager(c, &m, &e), 0, "%s", e.msg);
	cr_assert_eq(rf_service_get(c, &m, RF_SVC_KVMIP, &on, &e), 0, "%s", e.msg);
	cr_assert(on, "the mockup has KVMIP enabled");

	cr_assert_eq(rf_service_set(c, &m, RF_SVC_KVMIP, false, &e), 0, "%s", e.msg);
	cr_assert_eq(rf_service_get(c, &m, RF_SVC_KVMIP, &on, &e), 0, "%s", e.msg);
	cr_assert_not(on);
	cr_assert_eq(rf_service_set(c, &m, RF_SVC_KVMIP, true, &e), 0, "%s", e.msg);
	cr_assert_eq(rf_service_get(c, &m, RF_SVC_KVMIP, &on, &e), 0, "%s", e.msg);
	cr_assert(on);

	cr_assert_eq(emu_count("patches"), 2);
	/* Each PATCH carried the ETag of the version it read, and the first
	 * PATCH moved it. */
	emu_if_match(0, im0, sizeof(im0));
	emu_if_match(1, im1, sizeof(im1));
	cr_assert_str_eq(im0, "\"1\"");
	cr_assert_str_eq(im1, "\"2\"");

	/* The other two switches, on their own resources. */
	cr_assert_eq(rf_service_set(c, &m, RF_SVC_VIRTUAL_MEDIA, false, &e), 0, "%s", e.msg);
	cr_assert_eq(rf_service_get(c, &m, RF_SVC_VIRTUAL_MEDIA, &on, &e), 0, "%s", e.msg);
	cr_assert_not(on);
	cr_assert_eq(rf_service_set(c, &m, RF_SVC_GRAPHICAL_CONSOLE, false, &e), 0, "%s", e.msg);
	cr_assert_eq(rf_service_get(c, &m, RF_SVC_GRAPHICAL_CONSOLE, &on, &e), 0, "%s", e.msg);
	cr_assert_not(on);
	cr_assert_eq(rf_close(c, &e), 0, "%s", e.msg);
}

Test(redfish, patch_412_regets_and_retries_once)
{
	struct rf_error e = { 0 };
	char im0[64], im1[64];
	struct rf_manager m;
	struct rf_client *c;
	bool on = true;

	emu_start(NULL);
	c = open_ok(opts(NULL));
	cr_assert_eq(rf_discover_manager(c, &m, &e), 0, "%s", e.msg);
	emu_fault("{\"patch_412\": 1}");
	cr_assert_eq(rf_service_set(c, &m, RF_SVC_KVMIP, false, &e), 0, "%s", e.msg);
	cr_assert_eq(rf_service_get(c, &m, RF_SVC_KVMIP, &on, &e), 0, "%s", e.msg);
	cr_assert_not(on);
	cr_assert_eq(emu_count("if_match"), 2, "one PATCH, one retry");
	emu_if_match(0, im0, sizeof(im0));
	emu_if_match(1, im1, sizeof(im1));
	cr_assert_str_neq(im0, im1, "the retry sends the re-read ETag");
	rf_close(c, NULL);
}

Test(redfish, patch_412_twice_fails_clearly)
{
	struct rf_error e = { 0 };
	struct rf_manager m;
	struct rf_client *c;
	bool on = false;

	emu_start(NULL);
	c = open_ok(opts(NULL));
	cr_assert_eq(rf_discover_manager(c, &m, &e), 0, "%s", e.msg);
	emu_fault("{\"patch_412\": 2}");
	cr_assert_eq(rf_service_set(c, &m, RF_SVC_KVMIP, false, &e), -ESTALE);
	cr_assert_eq(e.http_status, 412);
	cr_assert(strstr(e.msg, "412") && strstr(e.msg, "twice") &&
		  strstr(e.msg, "/redfish/v1/Managers/BMC/NetworkProtocol"), "%s", e.msg);
	cr_assert_eq(emu_count("if_match"), 2, "no third attempt");
	cr_assert_eq(rf_service_get(c, &m, RF_SVC_KVMIP, &on, &e), 0, "%s", e.msg);
	cr_assert(on, "nothing changed");
	rf_close(c, NULL);
}

/* ---- unreachable ------------------------------------------------------- */

/* A port that was free a moment ago: nobody listens there. */
static int closed_port(int listen_too, int *keep)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(s, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
	if (listen_too) {
		/* Listening but never accepting nor answering: the kernel
		 * completes the connect, nothing ever replies. */
		cr_assert_eq(listen(s, 4), 0);
		*keep = s;
	} else {
		close(s);
	}
	return ntohs(a.sin_port);
}

Test(redfish, unreachable_fails_in_seconds)
{
	struct rf_error e = { 0 };
	struct rf_client *c;
	struct rf_opts o;
	int keep = -1;
	double t0;

	snprintf(emu.url, sizeof(emu.url), "http://127.0.0.1:%d", closed_port(0, NULL));
	o = opts(NULL);
	t0 = now_s();
	cr_assert_eq(rf_open(&o, &c, &e), -ECONNREFUSED, "%s", e.msg);
	cr_assert_lt(now_s() - t0, 5.0);
	cr_assert(strstr(e.msg, emu.url), "the error names the address: %s", e.msg);

	snprintf(emu.url, sizeof(emu.url), "http://127.0.0.1:%d", closed_port(1, &keep));
	o = opts(NULL);
	o.timeout_ms = 1500;
	t0 = now_s();
	cr_assert_eq(rf_open(&o, &c, &e), -ETIMEDOUT, "%s", e.msg);
	cr_assert_lt(now_s() - t0, 5.0, "a silent service fails at the timeout");
	close(keep);
}

/* ---- the emulator stops by itself ---------------------------------------- */

static bool port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;

	close(s);
	return ok;
}

Test(redfish, emulator_exits_with_its_parent)
{
	int out[2], die[2];
	pid_t mid;
	char ppid[16], c;
	double t0;

	cr_assert_eq(pipe(out), 0);
	cr_assert_eq(pipe(die), 0);
	mid = fork();
	cr_assert_geq(mid, 0);
	if (mid == 0) {
		/* The emulator's parent: lives until the test closes @die. */
		close(out[0]);
		close(die[1]);
		snprintf(ppid, sizeof(ppid), "%d", (int)getpid());
		if (fork() == 0) {
			close(die[0]);
			dup2(out[1], 1);
			close(out[1]);
			execl(RF_PYTHON, RF_PYTHON, RF_EMU, "--root", RF_MOCKUP, "--timeout", "120",
			      "--parent-pid", ppid, (char *)NULL);
			_exit(127);
		}
		close(out[1]);
		while (read(die[0], &c, 1) < 0)
			;
		_exit(0);
	}
	close(out[1]);
	close(die[0]);
	emu_read_port(out[0]);
	cr_assert(port_open(emu.port));
	close(die[1]);
	cr_assert_eq(waitpid(mid, NULL, 0), mid);
	/* Poll until it is gone: it looks every 0.2 s; a slow machine may
	 * take longer, 30 s is the bound. */
	t0 = now_s();
	while (port_open(emu.port) && now_s() - t0 < 30)
		usleep(50 * 1000);
	cr_assert_not(port_open(emu.port), "the emulator outlived its parent");
}

/* ---- TLS --------------------------------------------------------------- */

Test(redfish, tls_verified_unless_told)
{
	char dir[] = "/tmp/rf_tls_XXXXXX", cmd[512], crt[64], key[64];
	struct rf_error e = { 0 };
	struct rf_client *c;
	struct rf_opts o;

	cr_assert(mkdtemp(dir));
	snprintf(crt, sizeof(crt), "%s/bmc.crt", dir);
	snprintf(key, sizeof(key), "%s/bmc.key", dir);
	/* A BMC's self-signed certificate, for 127.0.0.1. */
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-keyout %s -out %s -days 2 -subj /CN=127.0.0.1 "
		 "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1", key, crt);
	cr_assert_eq(system(cmd), 0, "openssl req failed");
	emu_start("--tls-cert", crt, "--tls-key", key, NULL);
	snprintf(emu.url, sizeof(emu.url), "https://127.0.0.1:%d", emu.port);

	/* Verified by default: the system's store does not know it. */
	o = opts(NULL);
	cr_assert_eq(rf_open(&o, &c, &e), -EPERM, "%d %s", e.code, e.msg);
	cr_assert(strstr(e.msg, "certificate"), "the error says why: %s", e.msg);
	cr_assert_eq(emu_count("requests"), 0, "nothing was sent to an unverified peer");

	/* The certificate given as the CA: verified, a session. */
	o.ca_file = crt;
	c = open_ok(o);
	cr_assert(rf_is_session(c));
	cr_assert_eq(rf_close(c, &e), 0, "%s", e.msg);

	/* insecure: no verification at all (lab BMCs). */
	o.ca_file = NULL;
	o.insecure = true;
	c = open_ok(o);
	cr_assert_eq(rf_close(c, &e), 0, "%s", e.msg);
	cr_assert_eq(emu_count("sessions"), 0);

	/* Plain HTTP spoken to it: a protocol error, quickly. */
	snprintf(emu.url, sizeof(emu.url), "http://127.0.0.1:%d", emu.port);
	o = opts(NULL);
	o.timeout_ms = 3000;
	cr_assert_lt(rf_open(&o, &c, &e), 0);
	unlink(crt);
	unlink(key);
	rmdir(dir);
}

/* ---- passwords --------------------------------------------------------- */

static void write_file(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

Test(redfish, password_file_mode_checked)
{
	char dir[] = "/tmp/rf_pw_XXXXXX", path[64], pw[RF_PASSWORD_MAX];
	struct rf_error e = { 0 };

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pw", dir);

	write_file(path, "s3cret\n", 0644);
	cr_assert_eq(rf_password_from_file(path, pw, &e), -EPERM);
	cr_assert(strstr(e.msg, "0644") && strstr(e.msg, "refused"), "%s", e.msg);
	cr_assert_str_empty(pw);
	write_file(path, "s3cret\n", 0640);
	cr_assert_eq(rf_password_from_file(path, pw, &e), -EPERM);

	write_file(path, "s3cret\r\nsecond line\n", 0600);
	cr_assert_eq(rf_password_from_file(path, pw, &e), 0, "%s", e.msg);
	cr_assert_str_eq(pw, "s3cret");
	write_file(path, "\n", 0400);
	cr_assert_eq(rf_password_from_file(path, pw, &e), -EINVAL);
	cr_assert_eq(rf_password_from_file(dir, pw, &e), -EINVAL, "a directory is refused");
	unlink(path);
	cr_assert_eq(rf_password_from_file(path, pw, &e), -ENOENT);
	rmdir(dir);

	setenv("RF_TEST_PW", "from-env", 1);
	cr_assert_eq(rf_password_from_env("RF_TEST_PW", pw, &e), 0);
	cr_assert_str_eq(pw, "from-env");
	unsetenv("RF_TEST_PW");
	cr_assert_eq(rf_password_from_env("RF_TEST_PW", pw, &e), -ENOENT);
}

/* ---- JSON helpers ------------------------------------------------------ */

static cJSON *js(const char *s)
{
	cJSON *j = NULL;
	struct rf_error e = { 0 };

	cr_assert_eq(rf_json_parse(s, strlen(s), &j, &e), 0, "%s: %s", s, e.msg);
	return j;
}

Test(redfish_json, links_are_checked)
{
	struct rf_error e = { 0 };
	char uri[RF_URI_MAX];
	cJSON *j = NULL;
	bool b;

	cr_assert_eq(rf_json_parse("[1]", 3, &j, &e), -EPROTO, "an array is no resource");
	cr_assert_eq(rf_json_parse("{\"a\":", 5, &j, &e), -EPROTO);
	cr_assert_eq(rf_json_parse("", 0, &j, &e), -EPROTO);

	j = js("{\"M\":{\"@odata.id\":\"/redfish/v1/M\"},\"X\":{\"@odata.id\":\"http://evil/x\"},"
	       "\"Y\":{\"@odata.id\":\"//evil/x\"},\"Z\":{\"@odata.id\":\"/a b\"},"
	       "\"N\":{\"@odata.id\":5},\"E\":{}}");
	cr_assert_eq(rf_json_link(j, "M", uri, &e), 0);
	cr_assert_str_eq(uri, "/redfish/v1/M");
	cr_assert_eq(rf_json_link(j, "X", uri, &e), -EPROTO, "an absolute URL elsewhere");
	cr_assert_eq(rf_json_link(j, "Y", uri, &e), -EPROTO, "a network-path reference");
	cr_assert_eq(rf_json_link(j, "Z", uri, &e), -EPROTO, "a space");
	cr_assert_eq(rf_json_link(j, "N", uri, &e), -EPROTO);
	cr_assert_eq(rf_json_link(j, "E", uri, &e), -ENOENT);
	cr_assert_eq(rf_json_link(j, "Q", uri, &e), -ENOENT);
	cJSON_Delete(j);

	j = js("{\"Members\":[]}");
	cr_assert_eq(rf_json_first_member(j, uri, &e), -ENOENT);
	cJSON_Delete(j);
	j = js("{\"Members\":[{\"@odata.id\":\"/redfish/v1/Managers/x\"},{}]}");
	cr_assert_eq(rf_json_first_member(j, uri, &e), 0);
	cr_assert_str_eq(uri, "/redfish/v1/Managers/x");
	cJSON_Delete(j);

	j = js("{\"K\":{\"P\":false,\"S\":\"false\"},\"@odata.etag\":\"W/\\\"7\\\"\"}");
	cr_assert_eq(rf_json_bool(j, "K", "P", &b, &e), 0);
	cr_assert_not(b);
	cr_assert_eq(rf_json_bool(j, "K", "S", &b, &e), -EPROTO, "a string is not a boolean");
	cr_assert_eq(rf_json_bool(j, "K", "Q", &b, &e), -ENOENT);
	cr_assert_eq(rf_json_etag(j, uri, &e), 0);
	cr_assert_str_eq(uri, "W/\"7\"");
	cJSON_Delete(j);
}
