#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test_exporter.py - integration tests of sovereign-exporter against the real
# sim + sampler on loopback: "http" (formats, gzip, hostile clients, requests
# refused at their head, 1000 connections, staleness and re-attach, auth,
# TLS), "abuse" (one address flooding, slowloris, the connection limits and
# the request-head deadline, while another address scrapes) and "prometheus"
# (a real Prometheus scrapes it and its query API returns Tctl).
import gzip
import os
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from stack import check, finish, free_port, get, series, spawn, stop, up, wait_for  # noqa: E402

MODE, SIM, SAMPLER, EXPORTER = sys.argv[1:5]


def wrk_failures(out):
    """What in wrk's report @out a correct server cannot cause: its "Socket
    errors" line (connect, read, write, timeout: printed only when one is
    not zero) and its "Non-2xx or 3xx responses" line; [] when neither."""
    return [ln.strip() for ln in out.splitlines()
            if ln.strip().startswith(("Socket errors:", "Non-2xx or 3xx responses:"))]


def requests_200(port):
    """sovereign_exporter_requests_total{code="200"} of the exporter on @port."""
    m = re.search(rb'^sovereign_exporter_requests_total\{code="200"\} (\d+)', get(port)[2], re.M)
    return int(m.group(1)) if m else 0


def raw(port, head, body=b"", src="127.0.0.1", timeout=10):
    """Send @head, then as much of @body as the server takes, on a new
    connection from @src; return (what came back, whether the server closed
    the connection, seconds until then).  The server is expected to answer
    and close well within @timeout."""
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    t0 = time.monotonic()
    s.connect(("127.0.0.1", port))
    s.sendall(head)
    try:
        s.sendall(body)
    except OSError:
        pass  # refused mid-body: what it answered is checked below
    out, closed = b"", False
    try:
        while True:
            b = s.recv(65536)
            if not b:
                closed = True
                break
            out += b
    except socket.timeout:
        pass
    except OSError:
        closed = True  # reset after its answer: closed all the same
    s.close()
    return out, closed, time.monotonic() - t0


def scrape_from(port, src, timeout=2.0):
    """GET /metrics on a connection from @src: the seconds it took, or None
    if it failed or took longer than @timeout."""
    s = socket.socket()
    s.settimeout(timeout)
    t0 = time.monotonic()
    out = b""
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError:
        return None
    finally:
        s.close()
    dt = time.monotonic() - t0
    ok = out.startswith(b"HTTP/1.1 200") and b"\nsovereign_up " in out and dt <= timeout
    return dt if ok else None


def test_http(d, port, seg, conf, start_sampler):
    # --- both formats -------------------------------------------------------
    st, h, body = get(port)
    check(st == 200 and h["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8", "text ctype %s" % h)
    text = body.decode()
    check('sovereign_cpu_temp_celsius{sensor="temp1",chip="k10temp/0000:00:18.3",label="Tctl"}' in text, "Tctl series")
    pm = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    check(pm.returncode == 0, "promtool check metrics: %s %s" % (pm.stdout, pm.stderr))
    # Absent watchdog and fan controller: said so, and no made-up value.
    check(re.search(r"(?m)^sovereign_watchdog_up 0$", text), "sovereign_watchdog_up 0")
    check(re.search(r"(?m)^sovereign_fan_controller_up 0$", text), "sovereign_fan_controller_up 0")
    check(not re.search(r"(?m)^sovereign_(inference_|fan_zone_)", text), "no watchdog/fan series")
    st, h, om = get(port, headers={"Accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"})
    check(h["Content-Type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8", "om ctype")
    om = om.decode()
    check(om.endswith("# EOF\n") and om.count("# EOF") == 1, "OpenMetrics ends with # EOF")
    check("# TYPE sovereign_energy_joules counter\n" in om and "\nsovereign_energy_joules_total{" in om,
          "OpenMetrics counter naming")
    # promtool 2.42 lints only the text format; OpenMetrics is parsed by the
    # real Prometheus in the "prometheus" test (it asks for OpenMetrics first).

    # --- gzip, pre-compressed ------------------------------------------------
    st, h, gz = get(port, headers={"Accept-Encoding": "gzip"})
    check(h.get("Content-Encoding") == "gzip" and gz[:2] == b"\x1f\x8b", "gzip response")
    plain = gzip.decompress(gz).decode()
    _, _, again = get(port)
    check(series(plain) == series(again.decode()), "gzip decompresses to the same exposition")
    c = subprocess.run(["curl", "-sf", "--compressed", "http://127.0.0.1:%d/metrics" % port], capture_output=True)
    check(c.returncode == 0 and b"sovereign_up 1" in c.stdout, "curl --compressed")

    # --- other endpoints -----------------------------------------------------
    check(get(port, "/healthz")[2] == b"ok\n", "healthz ok")
    check(get(port, "/nope")[0] == 404, "404")
    check(b'href="/metrics"' in get(port, "/")[2], "landing page")
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-d", "x=1",
                        "http://127.0.0.1:%d/metrics" % port], capture_output=True)
    check(r.stdout == b"405", "POST -> 405, got %r" % r.stdout)

    # --- refused at the head: no body is read, no 100 Continue, no %00 ------
    big = b"A" * 65536  # of 300 MB announced: the rest never comes
    out, closed, dt = raw(port, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 300000000\r\n\r\n", big)
    check(out.startswith(b"HTTP/1.1 405 ") and closed, "300 MB POST: 405 and closed at once, got %r" % out[:40])
    out, closed, dt = raw(port, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                          b"Expect: 100-continue\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 405 ") and b"100 Continue" not in out and closed,
          "Expect: 100-continue POST: 405, not 100, got %r" % out[:40])
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Expect: 100-continue",
                        "-X", "PUT", "--data-binary", "@-", "http://127.0.0.1:%d/metrics" % port],
                       input=b"x" * 2000000, capture_output=True, timeout=30)
    check(r.stdout == b"405", "curl PUT of 2 MB with Expect: 405, got %r" % r.stdout)
    out, closed, dt = raw(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 300000000\r\n\r\n", big)
    check(out.startswith(b"HTTP/1.1 413 ") and closed, "GET with a 300 MB body: 413 at once, got %r" % out[:40])
    out, closed, dt = raw(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                          b"10000\r\n" + big)
    check(out.startswith(b"HTTP/1.1 413 ") and closed, "GET with a chunked body: 413, got %r" % out[:40])
    for target in (b"/metrics%00.html", b"/metrics%00", b"/healthz%00x", b"/metrics?x=%00"):
        out, closed, dt = raw(port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        check(out.startswith(b"HTTP/1.1 404 "), "%s -> 404, got %r" % (target, out[:40]))
    out, closed, dt = raw(port, b"GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 200 "), "a query string is still served: %r" % out[:40])
    # What is served keeps its connection alive: two scrapes on one.
    out, closed, dt = raw(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                          b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check(out.count(b"HTTP/1.1 200 ") == 2 and out.endswith(b"ok\n"), "keep-alive: two answers, got %r" % out[-80:])
    wait_for(lambda: re.search(rb'^sovereign_exporter_requests_total\{code="413"\} [1-9]', get(port)[2], re.M),
             5, "413s counted")

    # --- hostile clients do not stop a concurrent scrape ----------------------
    stop_slow = threading.Event()
    socks = []

    def slowloris():
        s = socket.create_connection(("127.0.0.1", port))
        socks.append(s)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        while not stop_slow.is_set():
            try:
                s.send(b"X")  # one header byte per second, never finishing
            except OSError:
                return
            stop_slow.wait(1)

    slow = [threading.Thread(target=slowloris) for _ in range(5)]
    for t in slow:
        t.start()
    g = socket.create_connection(("127.0.0.1", port))
    socks.append(g)
    g.sendall(b"\x00\xff garbage \r\n\r\n")
    huge = socket.create_connection(("127.0.0.1", port))
    socks.append(huge)
    try:
        huge.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"A" * 200000 + b"\r\n\r\n")
    except OSError:
        pass  # the server may close on us mid-send: that is a pass
    time.sleep(1.5)
    for _ in range(3):
        t0 = time.monotonic()
        st, _, b = get(port, timeout=1)
        check(st == 200 and b"sovereign_up 1" in b and time.monotonic() - t0 < 1.0,
              "scrape within 1 s beside hostile clients")
    for s in (g, huge):
        s.settimeout(2)
        try:
            resp = s.recv(100)
        except OSError:
            resp = b""
        check(not resp.startswith(b"HTTP/1.1 200"), "hostile request not served 200: %r" % resp[:40])
    stop_slow.set()
    for t in slow:
        t.join()
    for s in socks:
        s.close()

    # --- 1000 concurrent connections -----------------------------------------
    # This exporter runs with --max-conn 1500 and no per-address limit, and
    # listens with a backlog of 1024: a correct one accepts all 1000 and
    # answers each request 200, so wrk reports no socket error (connect,
    # read, write) and no non-2xx answer; any is a failure.  wrk counts a
    # timeout only for a request still unanswered --timeout after it was
    # sent, checked while the run lasts: 30 s in a 5 s run counts none, so a
    # slow (sanitizer) build never fails on speed, and a server that stops
    # answering shows as too few requests instead.
    before = requests_200(port)
    w = subprocess.run(["wrk", "-t", "2", "-c", "1000", "-d", "5s", "--timeout", "30s",
                        "http://127.0.0.1:%d/metrics" % port], capture_output=True, timeout=60)
    out = w.stdout.decode()
    print(out)
    m = re.search(r"(\d+) requests in", out)
    check(w.returncode == 0 and m and int(m.group(1)) > 1000, "wrk ran: %s" % out)
    check(not wrk_failures(out), "wrk -c1000: %s\n%s" % (wrk_failures(out), out))
    # Every request wrk counted was answered 200 by this exporter (wrk may
    # stop with some answered but not yet read: >=, not ==).
    wait_for(lambda: requests_200(port) - before >= int(m.group(1)), 5,
             "the exporter's 200 count grown by wrk's %s requests (%d)"
             % (m.group(1), requests_200(port) - before))
    check(exporter.poll() is None, "exporter survived 1000 connections")
    st, _, b = get(port)
    check(st == 200 and up(port) == 1, "scrapes succeed after the load")
    check(re.search(rb'^sovereign_exporter_requests_total\{code="200"\} [1-9]', b, re.M), "requests counted")

    # --- staleness: stop the sampler, then restart it --------------------------
    gen1 = int(re.search(rb"^sovereign_sampler_generation (\d+)", get(port)[2], re.M).group(1))
    stop(sampler, signal.SIGTERM)
    wait_for(lambda: up(port) == 0, 5, "sovereign_up 0 after the sampler stopped")
    b = get(port)[2]
    check(b'sovereign_segment_state{state="stopped"} 1' in b, "stopped state reported")
    check(b"sovereign_cpu_temp_celsius" not in b and b"sovereign_fan_rpm" not in b, "no sensor series when stopped")
    check(get(port, "/healthz")[2] == b"ok: segment stopped\n", "healthz says stopped")
    pm = subprocess.run(["promtool", "check", "metrics"], input=b, capture_output=True)
    check(pm.returncode == 0, "promtool on the degraded exposition: %s" % pm.stdout)
    start_sampler()
    wait_for(lambda: up(port) == 1, 10, "sovereign_up 1 after the sampler restarted")
    b = get(port)[2]
    gen2 = int(re.search(rb"^sovereign_sampler_generation (\d+)", b, re.M).group(1))
    check(gen2 > gen1, "re-attached to a new generation %d -> %d" % (gen1, gen2))
    check(b'label="Tctl"' in b, "series back")

    # --- SIGSTOP: a frozen (not dead) sampler goes stale -------------------------
    os.kill(sampler.pid, signal.SIGSTOP)
    try:
        wait_for(lambda: up(port) == 0, 5, "stale after SIGSTOP")
        b = get(port)[2]
        check(b'sovereign_segment_state{state="stale"} 1' in b and b"sovereign_stale 1" in b, "stale reported")
        check(b"sovereign_cpu_temp_celsius{" not in b, "no sensor series when stale")
    finally:
        os.kill(sampler.pid, signal.SIGCONT)
    wait_for(lambda: up(port) == 1, 5, "fresh again after SIGCONT")

    # --- basic auth --------------------------------------------------------
    auth = os.path.join(d, "auth")
    with open(auth, "w") as f:
        f.write("# scrapers\nprom:s3cret\n")
    os.chmod(auth, 0o600)
    p2 = free_port()
    e2 = spawn([EXPORTER, "--segment", seg, "--listen", "127.0.0.1:%d" % p2, "--basic-auth-file", auth],
               open(os.path.join(d, "exporter2.log"), "w"))
    wait_for(lambda: get(p2)[0] == 401, 5, "401 without credentials")
    check(get(p2, auth="prom:wrong")[0] == 401, "401 with a wrong password")
    st, _, b = get(p2, auth="prom:s3cret")
    check(st == 200 and b"sovereign_up" in b, "200 with credentials")
    stop(e2, signal.SIGTERM)
    check(e2.returncode == 0, "exporter exits 0 on SIGTERM")

    # --- no sampler at all, on [::1] (if the host has IPv6 loopback) and :PORT ---
    for spec in ("[::1]:%d", ":%d"):
        p5 = free_port()
        e5 = spawn([EXPORTER, "--segment", seg + "-none", "--listen", spec % p5],
                   open(os.path.join(d, "exporter5.log"), "a"))
        host = "[::1]" if spec.startswith("[") else "127.0.0.1"

        def absent_ok():
            r = subprocess.run(["curl", "-s", "--max-time", "2", "http://%s:%d/metrics" % (host, p5)],
                               capture_output=True)
            return b"sovereign_up 0" in r.stdout and b'state="absent"' in r.stdout

        if spec.startswith("[") and not socket.has_ipv6:
            stop(e5)
            continue
        wait_for(absent_ok, 5, "absent segment served as up 0 on %s" % spec)
        stop(e5, signal.SIGTERM)
        check(e5.returncode == 0, "exporter without a segment exits 0")

    # --- HEAD: headers, no body ------------------------------------------------
    r = subprocess.run(["curl", "-s", "-I", "http://127.0.0.1:%d/metrics" % port], capture_output=True)
    check(r.stdout.startswith(b"HTTP/1.1 200") and b"text/plain; version=0.0.4" in r.stdout
          and b"sovereign_up" not in r.stdout, "HEAD /metrics: %r" % r.stdout[:200])

    # --- HTTPS (libmicrohttpd + GnuTLS) --------------------------------------------
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True, timeout=60)
    os.chmod(cert, 0o644)
    os.chmod(key, 0o644)  # a world-readable key is said, as an auth file is
    p3 = free_port()
    e3 = spawn([EXPORTER, "--segment", seg, "--listen", "127.0.0.1:%d" % p3, "--tls-cert", cert, "--tls-key", key],
               open(os.path.join(d, "exporter3.log"), "w"))

    def https_ok():
        r = subprocess.run(["curl", "-sk", "--max-time", "2", "https://127.0.0.1:%d/metrics" % p3],
                           capture_output=True)
        return b"sovereign_up 1" in r.stdout

    wait_for(https_ok, 10, "HTTPS scrape")
    r = subprocess.run(["curl", "-s", "--max-time", "2", "http://127.0.0.1:%d/metrics" % p3], capture_output=True)
    check(b"sovereign_up" not in r.stdout, "no plain HTTP on the TLS port")
    stop(e3, signal.SIGTERM)
    check(e3.returncode == 0, "TLS exporter exits 0")
    log3 = open(os.path.join(d, "exporter3.log")).read()
    check("warning: %s is world-readable" % key in log3, "world-readable key said: %r" % log3)
    check(cert not in log3, "a world-readable certificate is fine: %r" % log3)
    check("world-readable" not in open(os.path.join(d, "exporter2.log")).read(), "0600 auth file not warned about")

    # --- --user: drops root after binding, then degrades visibly -----------------
    if os.geteuid() == 0:
        p4 = free_port()
        e4 = spawn([EXPORTER, "--segment", seg, "--listen", "127.0.0.1:%d" % p4, "--user", "nobody"],
                   open(os.path.join(d, "exporter4.log"), "w"))
        wait_for(lambda: get(p4)[0] == 200, 5, "exporter as nobody serves")
        with open("/proc/%d/status" % e4.pid) as f:
            uids = [l.split()[1:] for l in f if l.startswith(("Uid:", "Gid:"))]
        check(all(x == "65534" for x in uids[0]) and uids[1][0] != "0", "dropped to nobody: %s" % uids)
        b = get(p4)[2]
        # The segment is 0640 root-owned here: nobody may not read it, and says so.
        check(b"sovereign_up 0" in b and b'state="error"' in b, "unreadable segment reported")
        stop(e4, signal.SIGTERM)


class Slowloris:
    """@n connections from 127.0.0.1 that send a request head a line every
    0.5 s (so never idle), never ending it.  .open() counts those the
    server has not closed."""

    def __init__(self, port, n):
        self.socks = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        for _ in range(n):
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect(("127.0.0.1", port))
                s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            except OSError:
                s.close()  # refused: counted as closed
                continue
            s.setblocking(False)
            self.socks[s.fileno()] = s
        self.thread = threading.Thread(target=self.dribble)
        self.thread.start()

    def reap(self):
        # Readable means closed by the server (end of file or reset) or
        # answered: either way not hanging.  Caller holds .lock.
        p = select.poll()
        for fd in self.socks:
            p.register(fd, select.POLLIN)
        for fd, _ in p.poll(0):
            self.socks.pop(fd).close()

    def dribble(self):
        while not self.stopping.is_set():
            with self.lock:
                self.reap()
                for s in self.socks.values():
                    try:
                        s.send(b"X-Slow: 1\r\n")
                    except OSError:
                        pass  # closed: reaped next round
            self.stopping.wait(0.5)

    def open(self):
        with self.lock:
            self.reap()
            return len(self.socks)

    def close(self):
        self.stopping.set()
        self.thread.join()
        for s in self.socks.values():
            s.close()


def scrapes_from_elsewhere(port, what):
    """Nine scrapes from 127.0.0.2 (Linux routes all of 127/8 to lo) while
    127.0.0.1 abuses the exporter: none may time out (2 s), and their median
    must be under 100 ms.  The median, not the worst, keeps a loaded 2-core
    machine's scheduling hiccup from failing the test."""
    times = []
    for _ in range(9):
        times.append(scrape_from(port, "127.0.0.2"))
        time.sleep(0.05)
    print("%s: scrapes from 127.0.0.2 took %s" % (what, ["%.1f ms" % (t * 1e3) if t else "timeout" for t in times]))
    check(all(t is not None for t in times), "%s: a scrape from 127.0.0.2 failed or timed out: %s" % (what, times))
    med = sorted(times)[len(times) // 2]
    check(med < 0.1, "%s: median scrape from 127.0.0.2 %.1f ms, not under 100 ms" % (what, med * 1e3))


def established_to(port):
    """Client-side TCP connections to 127.0.0.1:@port in ESTABLISHED."""
    n = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[2] == "0100007F:%04X" % port and fields[3] == "01":
                n += 1
    return n


def test_abuse(d, seg):
    # 1000 slowloris sockets, wrk's 1000 and the exporter's own.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 8192:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(8192, hard), hard))
    check(resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 2500, "RLIMIT_NOFILE >= 2500 for 1000 sockets")

    # The defaults: --max-conn 256, --max-conn-per-ip 64, --header-timeout-s 5, --timeout-s 10.
    port = free_port()
    e = spawn([EXPORTER, "--segment", seg, "--listen", "127.0.0.1:%d" % port, "--stale-s", "60",
               "--fan-segment", "", "--watchdog-segment", ""], open(os.path.join(d, "exporter-abuse.log"), "w"))
    wait_for(lambda: scrape_from(port, "127.0.0.2") is not None, 15, "the exporter serves 127.0.0.2")

    # --- wrk -c1000 from 127.0.0.1 (past its 64): 127.0.0.2 is still served --
    # wrk at nice 19: a flood comes from another machine, whose CPU is not
    # the exporter's; here the two share two cores.
    w = subprocess.Popen(["nice", "-n", "19", "wrk", "-t", "2", "-c", "1000", "-d", "8s", "--timeout", "2s",
                          "http://127.0.0.1:%d/metrics" % port], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: established_to(port) >= 64, 10, "wrk's flood under way")
        scrapes_from_elsewhere(port, "wrk -c1000 from 127.0.0.1")
        check(w.poll() is None, "the flood lasted through the scrapes")
        out = w.communicate(timeout=60)[0].decode()
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()
    print(out)
    m = re.search(r"(\d+) requests in", out)
    check(w.returncode == 0 and m and int(m.group(1)) > 100, "wrk served within its 64: %s" % out)
    check(e.poll() is None, "exporter survived the flood")

    # --- 1000 slowloris sockets from 127.0.0.1 -----------------------------------
    lor = Slowloris(port, 1000)
    try:
        # Past the 64 of one address, each is closed as soon as accepted.
        wait_for(lambda: lor.open() <= 64, 10, "all but 64 slowloris sockets closed at once (%d open)" % lor.open())
        scrapes_from_elsewhere(port, "1000 slowloris sockets from 127.0.0.1")
        # The 64 held trickle a header line every 0.5 s, so the idle timeout
        # never fires: the request-head deadline (5 s) cuts them.
        t0 = time.monotonic()
        wait_for(lambda: lor.open() == 0, 20, "the request-head deadline cuts every slowloris (%d open)" % lor.open())
        print("the last slowloris connections were cut %.1f s later" % (time.monotonic() - t0))
    finally:
        lor.close()
    check(scrape_from(port, "127.0.0.1") is not None, "127.0.0.1 served again afterwards")
    stop(e, signal.SIGTERM)
    check(e.returncode == 0, "exporter exits 0")
    # Thousands of refused connections: libmicrohttpd's line for each is
    # rate-limited (a burst of 10, then one per 10 s), or the flood would
    # flood the journal too.
    with open(os.path.join(d, "exporter-abuse.log")) as f:
        log = f.read()
    said = log.count("reached connection limit")
    check(said <= 30 and "similar messages suppressed" in log,
          "refusals said at most 30 times, with a count of the rest: %d lines" % said)

    # --- past --max-conn, a connection is closed at once, not left waiting ------
    p2 = free_port()
    e2 = spawn([EXPORTER, "--segment", seg, "--listen", "127.0.0.1:%d" % p2, "--max-conn", "8",
                "--max-conn-per-ip", "0", "--header-timeout-s", "120", "--timeout-s", "120",
                "--fan-segment", "", "--watchdog-segment", ""], open(os.path.join(d, "exporter-limit.log"), "w"))
    wait_for(lambda: scrape_from(p2, "127.0.0.2") is not None, 15, "the limited exporter serves")
    held = []
    for _ in range(8):
        s = socket.create_connection(("127.0.0.1", p2))
        s.send(b"GET /metrics HTTP/1.1\r\n")
        held.append(s)
    # An exporter holding its 8 closes a 9th at once (end of file, or reset).
    out, closed, dt = raw(p2, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", src="127.0.0.2", timeout=10)
    check(closed and not out and dt < 5, "9th connection past --max-conn 8: closed at once, got %r, %s after %.1f s"
          % (out[:40], "closed" if closed else "still open", dt))
    for s in held:
        s.close()
    wait_for(lambda: scrape_from(p2, "127.0.0.2") is not None, 10, "served again once the 8 are gone")
    stop(e2, signal.SIGTERM)
    check(e2.returncode == 0, "limited exporter exits 0")

    # --- wrk -c257 against --max-conn 256 from one address: no collapse -----
    # 256 connections served in step are ready 256 at a time, twice the 128
    # events libmicrohttpd's own epoll thread takes per round: it used to
    # block there with all of them unserved (a few hundred requests/s).
    # A healthy exporter serves tens of thousands here, a stalled one under
    # 1000: 4000/s is the floor.
    p3 = free_port()
    e3 = spawn([EXPORTER, "--segment", seg, "--listen", "127.0.0.1:%d" % p3, "--max-conn-per-ip", "0",
                "--fan-segment", "", "--watchdog-segment", ""], open(os.path.join(d, "exporter-limit.log"), "a"))
    wait_for(lambda: scrape_from(p3, "127.0.0.2") is not None, 15, "the exporter for wrk -c257 serves")
    w = subprocess.run(["wrk", "-t", "2", "-c", "257", "-d", "3s", "--timeout", "2s",
                        "http://127.0.0.1:%d/metrics" % p3], capture_output=True, timeout=60)
    out = w.stdout.decode()
    print(out)
    m = re.search(r"(\d+) requests in ([\d.]+)s", out)
    t = re.search(r"timeout (\d+)", out)
    check(w.returncode == 0 and m and int(m.group(1)) / float(m.group(2)) >= 4000,
          "wrk -c257 against --max-conn 256: at least 4000 requests/s: %s" % out)
    check(not t or int(t.group(1)) == 0, "wrk -c257: no request waited 2 s: %s" % out)
    stop(e3, signal.SIGTERM)
    check(e3.returncode == 0, "exporter for wrk -c257 exits 0")


def test_prometheus(d, port):
    pport = free_port()
    cfg = os.path.join(d, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: sovereign\n    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % port)
    prom = spawn(["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(d, "tsdb"),
                  "--web.listen-address=127.0.0.1:%d" % pport], open(os.path.join(d, "prometheus.log"), "w"))
    import json
    result = []

    def query():
        nonlocal result
        st, _, b = get(pport, "/api/v1/query?query=sovereign_cpu_temp_celsius", timeout=2)
        result = json.loads(b)["data"]["result"] if st == 200 else []
        return any(r["metric"].get("label") == "Tctl" for r in result)

    wait_for(query, 25, "Prometheus has sovereign_cpu_temp_celsius{label=Tctl}")
    tctl = [r for r in result if r["metric"].get("label") == "Tctl"][0]
    v = float(tctl["value"][1])
    check(15 < v < 110, "plausible Tctl %s" % v)
    check(tctl["metric"].get("chip") == "k10temp/0000:00:18.3", "chip label kept")
    st, _, b = get(pport, "/api/v1/query?query=up", timeout=2)
    check(b'"value":[' in b and b'"1"]' in b, "target up in Prometheus: %s" % b[:300])
    st, _, b = get(pport, "/api/v1/query?query=sovereign_energy_joules_total", timeout=2)
    check(b"package-0" in b, "counter ingested")
    stop(prom, signal.SIGTERM)


d = tempfile.mkdtemp(prefix="sov-exp-")
seg = "/sov-exp-%d" % os.getpid()
tree = os.path.join(d, "tree")
conf = os.path.join(d, "sampler.conf")
sampler = exporter = None
rc = 1
try:
    # Build the whole tree first (a sampler probing a half-made one would
    # restart when it grows), then keep it alive.
    subprocess.run([SIM, "--root", tree, "--once", "--quiet"], check=True, timeout=30)
    cfg = subprocess.run([SIM, "--root", tree, "--print-config"], check=True, capture_output=True,
                         text=True, timeout=30).stdout
    with open(conf, "w") as f:
        f.write(re.sub(r"(?m)^period_ms.*$", "period_ms = 100", cfg))
    spawn([SIM, "--root", tree, "--quiet"], subprocess.DEVNULL)

    def start_sampler():
        global sampler
        sampler = spawn([SAMPLER, "-c", conf, "--segment", seg, "--no-rt"],
                        open(os.path.join(d, "sampler.log"), "a"))

    start_sampler()
    port = free_port()
    # No fan controller nor watchdog runs: their segments (never the host's
    # defaults) are absent.  No per-address limit: the "http" test holds
    # 1000 connections from 127.0.0.1 ("abuse" tests the limits).
    exporter = spawn([EXPORTER, "--segment", seg, "--listen", "127.0.0.1:%d" % port, "--stale-s", "1",
                      "--max-conn", "1500", "--max-conn-per-ip", "0", "--timeout-s", "3",
                      "--fan-segment", seg + "-fan", "--watchdog-segment", seg + "-wd"], open(os.path.join(d, "exporter.log"), "w"))
    wait_for(lambda: up(port) == 1, 15, "exporter serves a live segment")
    if MODE == "http":
        test_http(d, port, seg, conf, start_sampler)
    elif MODE == "abuse":
        test_abuse(d, seg)
    else:
        test_prometheus(d, port)
    check(exporter.poll() is None, "exporter still running")
    stop(exporter, signal.SIGTERM)
    check(exporter.returncode == 0, "exporter exit status %s" % exporter.returncode)
    rc = 0
except AssertionError:
    pass
finally:
    finish(rc, d, ("exporter.log", "sampler.log", "prometheus.log", "exporter-abuse.log", "exporter-limit.log"),
           [seg])
