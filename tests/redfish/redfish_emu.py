#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""redfish_emu.py - a small Redfish service for the tests: serves a DMTF mockup
(short form, one index.json per URI) on 127.0.0.1 with the behaviour the
mockup lacks: sessions and basic auth, strong ETags that change on every
PATCH, If-Match checked (412, 428), actions (ComputerSystem.Reset,
Manager.Reset with a reboot window, UpdateService.SimpleUpdate with a Task
that progresses), and faults a test injects.

Python 3 standard library only.  Usage:

  redfish_emu.py --root DIR [--port N] [--user U --password P]
                 [--no-sessions] [--max-sessions N] [--require-if-match]
                 [--timeout S] [--tls-cert PEM --tls-key PEM] [--parent-pid PID]
                 [--bmcs N]

--port 0 (the default) takes a free port.  With --tls-cert and --tls-key it
speaks HTTPS only (the tests make a throw-away certificate with openssl).  Once listening it prints one line
"PORT <n>" on stdout and flushes it.  It exits by itself when its parent dies
(the test that started it: --parent-pid names it, so that a parent gone
before the emulator looked is noticed too) or after --timeout seconds
(default 300; 0: never).

--bmcs N serves N independent BMCs from one process and one port: the BMC is
the local address the client connected to (127.0.1.1, 127.0.1.2, ... any of
127.0.0.0/8), each with its own sessions, tasks, versions and faults, made on
first contact (resources are shared with the mockup until one is written).
It then listens on 0.0.0.0 and drops any connection not from and to loopback.
Without it one BMC listens on 127.0.0.1.

Behaviour (each BMC):
  POST Sessions beyond --max-sessions open ones -> 503 SessionLimitExceeded.
  POST to an action target the mockup lists (read from the resources):
    #ComputerSystem.Reset  ResetType checked against its AllowableValues (400
                           if not allowed); 204; recorded in "resets".
    #Manager.Reset         the same check; 204, then a reboot: for reboot_s
                           seconds (default 2) connections are refused (the
                           listening socket is closed; with --bmcs: accepted
                           and reset), open ones are cut; then the BMC comes
                           back with no sessions.
    #UpdateService.SimpleUpdate  ImageURI required, TransferProtocol checked
                           against the ActionInfo; 202 + Location
                           /redfish/v1/TaskService/Tasks/<n> + Retry-After: 1.
                           The Task goes New -> Running (PercentComplete
                           rising) -> Completed/OK over update_s seconds
                           (default 3); then the FirmwareInventory Version of
                           the BMC (or of the items the Targets name) becomes
                           the image's version: "1.2.3" from ".../bmc-1.2.3.bin",
                           or update_version.
    any other listed target  204.
  Every POST's path is recorded in "posts".

Control endpoint (no auth; loopback only; for the test, not Redfish):
  GET  /_emu/state  -> {"sessions": [uri...], "requests": n, "patches": n,
                        "basic_requests": n, "if_match": [values seen],
                        "posts": [paths], "resets": [ResetType...],
                        "manager_resets": [ResetType...],
                        "tasks": {"<n>": "TaskState"}, "versions": {uri: v},
                        "reboots": n, "down": bool}
  POST /_emu/fault  <- {"patch_412": n,          the next n PATCHes get 412
                                                  (the resource "changes": its
                                                  ETag moves before answering)
                        "refuse_sessions": bool, POST Sessions -> 503
                        "max_sessions": n,       as --max-sessions (0: none)
                        "expire_sessions": true, every session ends now
                        "delay_ms": ms, "delay_count": n,
                                                  the next n requests (all if
                                                  delay_count is absent) wait
                        "reboot_s": s,           Manager.Reset's window
                        "reboot_now": s,         reboot now for s seconds
                        "update_s": s,           how long an update takes
                        "update_version": "v",   the version it installs
                        "update_exception": "message",
                                                  the update fails: TaskState
                                                  Exception, TaskStatus
                                                  Critical, this message
                        "task_404_after_s": s,   the Task answers 404 once it
                                                  was seen running and s
                                                  seconds passed since the
                                                  update began (it still
                                                  completes)
                        "update_reboot_s": s,    mid-update the BMC reboots
                                                  for s seconds; then the Task
                                                  is gone (404) and the new
                                                  version is in place
                        "task_monitor": bool,    Location is a task monitor
                                                  (.../Tasks/<n>/Monitor): 202
                                                  while running, then 200 Task
                        "update_sync": bool,     answer 200 with the Task in
                                                  the body and no Location
                        "allow": {"<action target>": [values]}}
                                                  replace an action's
                                                  AllowableValues
"""
import argparse
import base64
import copy
import json
import os
import re
import secrets
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/redfish/v1"
SESS_COLL = PREFIX + "/SessionService/Sessions"
TASKS = PREFIX + "/TaskService/Tasks"
TERMINAL = ("Completed", "Killed", "Exception", "Cancelled")


def norm(path):
    """/redfish/v1/Managers/BMC/ and /redfish/v1/Managers/BMC are one URI."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    while len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def load(root):
    """Every index.json under root, keyed by its URI."""
    res = {}
    for d, _, files in os.walk(root):
        if "index.json" not in files:
            continue
        rel = os.path.relpath(d, root)
        uri = PREFIX if rel == "." else PREFIX + "/" + rel.replace(os.sep, "/")
        with open(os.path.join(d, "index.json"), encoding="utf-8") as f:
            res[norm(uri)] = json.load(f)
    return res


def merge(dst, patch):
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        else:
            dst[k] = v


def actions_of(res):
    """target -> (resource uri, action name, action object), for every action
    the resources list (Oem ones left out)."""
    out = {}
    for uri, obj in res.items():
        acts = obj.get("Actions") if isinstance(obj, dict) else None
        if not isinstance(acts, dict):
            continue
        for name, a in acts.items():
            if name.startswith("#") and isinstance(a, dict) and "target" in a:
                out[norm(a["target"])] = (uri, name, a)
    return out


def image_version(image_uri):
    """"https://h/fw/bmc-1.2.3.bin" -> "1.2.3"; None if the name has none."""
    name = image_uri.rsplit("/", 1)[-1]
    m = re.search(r"(\d+(?:\.\d+)+)", name)
    return m.group(1) if m else None


class Bmc:
    """One BMC: its resources (the mockup's until written), sessions, tasks."""

    def __init__(self, emu):
        self.emu = emu
        self.lock = threading.Lock()
        self.over = {}  # uri -> resource written here (None: deleted)
        self.version = {}  # uri -> ETag number, 1 if absent
        self.sessions = {}  # uri -> token
        self.requests = self.patches = self.basic_requests = 0
        self.if_match = []
        self.posts = []
        self.resets = []
        self.manager_resets = []
        self.patch_412 = 0
        self.refuse_sessions = False
        self.max_sessions = emu.args.max_sessions
        self.delay_ms = 0
        self.delay_count = None  # None: every request
        self.reboot_s = 2.0
        self.update_s = 3.0
        self.update_version = None
        self.update_exception = None
        self.task_404_after_s = None
        self.update_reboot_s = None
        self.task_monitor = False
        self.update_sync = False
        self.allow = {}  # target -> AllowableValues replacing the mockup's
        self.tasks = {}  # id -> dict
        self.next_task = 1000
        self.down_until = 0.0  # monotonic: refused until then
        self.reboot_pending = False
        self.reboots = 0
        self.conns = set()
        if SESS_COLL in emu.base:
            coll = self.w(SESS_COLL)
            coll["Members"] = []
            coll["Members@odata.count"] = 0

    # -- resources (copy on write) -------------------------------------------
    def r(self, uri):
        if uri in self.over:
            return self.over[uri]
        return self.emu.base.get(uri)

    def w(self, uri):
        if uri not in self.over or self.over[uri] is None:
            self.over[uri] = copy.deepcopy(self.emu.base[uri])
        return self.over[uri]

    def put(self, uri, obj):
        self.over[uri] = obj
        self.version.setdefault(uri, 1)

    def drop(self, uri):
        self.over[uri] = None

    def etag(self, uri):
        return '"%d"' % self.version.get(uri, 1)

    def bump(self, uri):
        self.version[uri] = self.version.get(uri, 1) + 1

    def clear_sessions(self):
        for uri in self.sessions:
            self.drop(uri)
        self.sessions.clear()
        if self.r(SESS_COLL) is not None:
            coll = self.w(SESS_COLL)
            coll["Members"] = []
            coll["Members@odata.count"] = 0

    # -- time: reboots end, tasks progress ---------------------------------
    def is_down(self):
        return time.monotonic() < self.down_until

    def tick(self):
        """Called with the lock held before each request is served."""
        now = time.monotonic()
        if self.reboot_pending and now >= self.down_until:
            self.reboot_pending = False
            self.clear_sessions()  # a rebooted BMC forgot its sessions
            for t in self.tasks.values():
                if t.get("lost_in_reboot"):
                    t["gone"] = True
        for t in self.tasks.values():
            self.task_advance(t, now)

    def task_advance(self, t, now):
        el = now - t["start"]
        if t["state"] in TERMINAL:
            return
        if t.get("reboot_at") is not None and el >= t["reboot_at"]:
            # Mid-update reboot: the BMC comes back with the new firmware
            # and without the task (as OpenBMC's tasks do not survive it).
            return
        if el >= t["dur"]:
            if t["exception"]:
                t["state"], t["status"] = "Exception", "Critical"
                t["message"] = t["exception"]
            else:
                t["state"], t["status"] = "Completed", "OK"
                t["message"] = "The update completed: version %s." % t["to_version"]
                self.install(t)
            t["percent"] = 100
        elif el >= min(0.2, t["dur"] / 4):
            t["state"] = "Running"
            t["percent"] = max(1, min(99, int(100 * el / t["dur"])))

    def install(self, t):
        for uri in t["items"]:
            if self.r(uri) is not None:
                self.w(uri)["Version"] = t["to_version"]
                self.bump(uri)

    def task_obj(self, t):
        obj = {"@odata.type": "#Task.v1_7_0.Task", "@odata.id": t["uri"], "Id": t["id"],
               "Name": "Firmware update", "TaskState": t["state"],
               "TaskStatus": t["status"], "PercentComplete": t["percent"],
               "Messages": [{"MessageId": "Update.1.0.UpdateInProgress" if
                             t["state"] not in TERMINAL else
                             ("Base.1.8.GeneralError" if t["state"] == "Exception"
                              else "Update.1.0.UpdateSuccessful"),
                             "Message": t["message"],
                             "Severity": "Critical" if t["state"] == "Exception" else "OK"}]}
        if t["monitor"]:
            obj["TaskMonitor"] = t["monitor"]
        return obj


class Emu:
    """The process: the mockup (shared), the BMCs, the listening server."""

    def __init__(self, args):
        self.args = args
        self.base = load(args.root)
        if args.no_sessions:
            # A service without a SessionService: basic auth only.
            root = self.base[PREFIX]
            root.pop("SessionService", None)
            root.get("Links", {}).pop("Sessions", None)
            for uri in [u for u in self.base if u.startswith(PREFIX + "/SessionService")]:
                del self.base[uri]
        self.actions = actions_of(self.base)
        self.multi = args.bmcs > 0
        self.bmcs = {}
        self.lock = threading.Lock()
        self.srv = None
        self.reopen_at = 0.0

    def bmc(self, addr):
        with self.lock:
            b = self.bmcs.get(addr)
            if b is None:
                if self.multi and len(self.bmcs) >= self.args.bmcs:
                    return None
                b = self.bmcs[addr] = Bmc(self)
            return b

    def reboot(self, b, seconds):
        """Take BMC b down for seconds: cut its connections; with one BMC,
        close the listening socket so that connecting is refused."""
        with b.lock:
            b.down_until = time.monotonic() + seconds
            b.reboot_pending = True
            b.reboots += 1
            conns = list(b.conns)
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if not self.multi and self.srv is not None:
            with self.lock:
                self.reopen_at = max(self.reopen_at, time.monotonic() + seconds)
            srv = self.srv
            threading.Thread(target=srv.shutdown, daemon=True).start()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "redfish-emu/1"

    def log_message(self, fmt, *a):  # quiet: the tests read stdout
        pass

    def setup(self):
        super().setup()
        emu = self.server.emu
        self.st = None
        try:
            local = self.connection.getsockname()[0]
            peer = self.connection.getpeername()[0]
        except OSError:
            local = peer = ""
        if emu.multi and not (local.startswith("127.") and peer.startswith("127.")):
            self.reset_conn()
            return
        b = emu.bmc(local)
        if b is None:
            self.reset_conn()
            return
        with b.lock:
            down = b.is_down()
            if not down:
                b.conns.add(self.connection)
        if down:
            self.reset_conn()  # a rebooting BMC (--bmcs): accept and reset
            return
        self.st = b

    def reset_conn(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    def handle(self):
        if self.st is None:
            return
        try:
            super().handle()
        except (ConnectionError, OSError):
            pass

    def finish(self):
        if self.st is not None:
            with self.st.lock:
                self.st.conns.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    # -- plumbing -----------------------------------------------------------
    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, code, obj=None, headers=()):
        data = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("OData-Version", "4.0")
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def error(self, code, msg_id, message):
        self.send(code, {"error": {"code": "Base.1.8." + msg_id, "message": message,
                                   "@Message.ExtendedInfo": [{"MessageId": "Base.1.8." + msg_id,
                                                              "Message": message}]}})

    def delay(self):
        with self.st.lock:
            ms = self.st.delay_ms
            if ms and self.st.delay_count is not None:
                if self.st.delay_count <= 0:
                    ms = 0
                else:
                    self.st.delay_count -= 1
        if ms:
            time.sleep(ms / 1000.0)

    def authorized(self):
        """A valid X-Auth-Token or basic credentials; else answers 401."""
        st = self.st
        args = st.emu.args
        tok = self.headers.get("X-Auth-Token")
        with st.lock:
            if tok and tok in st.sessions.values():
                return True
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user = pw = None
            if user == args.user and pw == args.password:
                with st.lock:
                    st.basic_requests += 1
                return True
        self.error(401, "NoValidSession", "There is no valid session established with the "
                   "implementation.")
        return False

    # -- control endpoint ---------------------------------------------------
    def control(self):
        st = self.st
        path = norm(self.path)
        if self.command == "GET" and path == "/_emu/state":
            with st.lock:
                st.tick()
                inv = PREFIX + "/UpdateService/FirmwareInventory"
                versions = {}
                for uri in list(st.emu.base) + list(st.over):
                    o = st.r(uri)
                    if uri.startswith(inv + "/") and isinstance(o, dict) and "Version" in o:
                        versions[uri] = o["Version"]
                self.send(200, {"sessions": sorted(st.sessions), "requests": st.requests,
                                "patches": st.patches, "basic_requests": st.basic_requests,
                                "if_match": st.if_match, "posts": st.posts,
                                "resets": st.resets, "manager_resets": st.manager_resets,
                                "tasks": {k: ("gone" if t.get("gone") else t["state"])
                                          for k, t in st.tasks.items()},
                                "versions": versions, "reboots": st.reboots,
                                "down": st.is_down()})
            return
        if self.command == "POST" and path == "/_emu/fault":
            f = json.loads(self.body() or b"{}")
            with st.lock:
                st.patch_412 = int(f.get("patch_412", st.patch_412))
                st.refuse_sessions = bool(f.get("refuse_sessions", st.refuse_sessions))
                st.max_sessions = int(f.get("max_sessions", st.max_sessions))
                if f.get("expire_sessions"):
                    # As a BMC's SessionTimeout does: gone without a DELETE.
                    st.clear_sessions()
                if "delay_ms" in f:
                    st.delay_ms = int(f["delay_ms"])
                    st.delay_count = f.get("delay_count")
                for k in ("reboot_s", "update_s"):
                    if k in f:
                        setattr(st, k, float(f[k]))
                for k in ("update_version", "update_exception", "task_404_after_s",
                          "update_reboot_s"):
                    if k in f:
                        setattr(st, k, f[k])
                st.task_monitor = bool(f.get("task_monitor", st.task_monitor))
                st.update_sync = bool(f.get("update_sync", st.update_sync))
                for tgt, vals in (f.get("allow") or {}).items():
                    st.allow[norm(tgt)] = list(vals)
            self.send(204)
            if "reboot_now" in f:
                st.emu.reboot(st, float(f["reboot_now"]))
            return
        self.send(404)

    # -- Redfish ------------------------------------------------------------
    def dispatch(self):
        if self.path.startswith("/_emu/"):
            return self.control()
        with self.st.lock:
            self.st.requests += 1
            self.st.tick()
        self.delay()
        path = norm(self.path)
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            return self.error(404, "ResourceMissingAtURI", "no such URI")
        if (self.command == "POST" and path == SESS_COLL and
                not self.st.emu.args.no_sessions):
            return self.login()
        # The service root is readable without credentials (Redfish spec).
        if not (self.command == "GET" and path == PREFIX) and not self.authorized():
            return
        if self.command == "GET":
            return self.get(path)
        if self.command == "PATCH":
            return self.patch(path)
        if self.command == "DELETE":
            return self.delete(path)
        if self.command == "POST":
            return self.post(path)
        self.error(405, "OperationNotAllowed", "method not allowed here")

    def get(self, path):
        st = self.st
        with st.lock:
            t = self.task_at(path)
            if t is not None:
                return self.get_task(t, path)
            obj = st.r(path)
            if obj is None:
                return self.error(404, "ResourceMissingAtURI", "no such URI " + path)
            obj = copy.deepcopy(obj)
            tag = st.etag(path)
        obj["@odata.etag"] = tag
        self.send(200, obj, [("ETag", tag)])

    def task_at(self, path):
        """The emulated task path names (its Task or its monitor), or None."""
        if not path.startswith(TASKS + "/"):
            return None
        rest = path[len(TASKS) + 1:].split("/")
        t = self.st.tasks.get(rest[0])
        if t is None or (len(rest) == 2 and rest[1] != "Monitor") or len(rest) > 2:
            return None
        return t

    def get_task(self, t, path):
        """Called with the lock held."""
        st = self.st
        el = time.monotonic() - t["start"]
        gone = t.get("gone") or (st.task_404_after_s is not None and t["seen_running"] and
                                 el >= float(st.task_404_after_s))
        if gone:
            t["gone"] = True
            return self.error(404, "ResourceMissingAtURI", "no such URI " + path)
        obj = st.task_obj(t)
        if t["state"] == "Running":
            t["seen_running"] = True
        monitor = path.endswith("/Monitor")
        if monitor and t["state"] not in TERMINAL:
            return self.send(202, obj, [("Location", t["monitor"]), ("Retry-After", "1")])
        self.send(200, obj)

    def patch(self, path):
        st = self.st
        try:
            req = json.loads(self.body() or b"null")
        except ValueError:
            return self.error(400, "MalformedJSON", "the body is not JSON")
        if not isinstance(req, dict):
            return self.error(400, "MalformedJSON", "the body is not a JSON object")
        im = self.headers.get("If-Match")
        with st.lock:
            if st.r(path) is None:
                return self.error(404, "ResourceMissingAtURI", "no such URI " + path)
            if "Members" in st.r(path):
                return self.error(405, "OperationNotAllowed", "a collection cannot be patched")
            st.if_match.append(im)
            if st.patch_412 > 0:
                # Someone else changed the resource just before us.
                st.patch_412 -= 1
                st.bump(path)
                return self.error(412, "PreconditionFailed", "The ETag supplied did not "
                                  "match the ETag required to change this resource.")
            if im is None and st.emu.args.require_if_match:
                return self.error(428, "PreconditionRequired", "A precondition header "
                                  "(If-Match) is required.")
            if im is not None and im != "*" and im != st.etag(path):
                return self.error(412, "PreconditionFailed", "The ETag supplied did not "
                                  "match the ETag required to change this resource.")
            merge(st.w(path), req)
            st.bump(path)
            st.patches += 1
            tag = st.etag(path)
        self.send(204, headers=[("ETag", tag)])

    def login(self):
        st = self.st
        args = st.emu.args
        try:
            req = json.loads(self.body() or b"{}")
        except ValueError:
            return self.error(400, "MalformedJSON", "the body is not JSON")
        with st.lock:
            refuse = st.refuse_sessions or (st.max_sessions > 0 and
                                            len(st.sessions) >= st.max_sessions)
        if refuse:
            return self.error(503, "SessionLimitExceeded", "The session establishment "
                              "failed due to the number of simultaneous sessions exceeding "
                              "the limit of the implementation.")
        if req.get("UserName") != args.user or req.get("Password") != args.password:
            return self.error(401, "ResourceAtUriUnauthorized", "While accessing the "
                              "resource, an authentication error occurred.")
        sid = secrets.token_hex(8)
        tok = secrets.token_hex(16)
        uri = SESS_COLL + "/" + sid
        obj = {"@odata.type": "#Session.v1_6_0.Session", "@odata.id": uri, "Id": sid,
               "Name": "User Session", "UserName": args.user}
        with st.lock:
            st.sessions[uri] = tok
            st.put(uri, obj)
            coll = st.w(SESS_COLL)
            coll["Members"].append({"@odata.id": uri})
            coll["Members@odata.count"] = len(coll["Members"])
        self.send(201, obj, [("X-Auth-Token", tok), ("Location", uri)])

    def delete(self, path):
        st = self.st
        with st.lock:
            if path not in st.sessions:
                gone = st.r(path) is None
            else:
                del st.sessions[path]
                st.drop(path)
                coll = st.w(SESS_COLL)
                coll["Members"] = [m for m in coll["Members"] if m["@odata.id"] != path]
                coll["Members@odata.count"] = len(coll["Members"])
                gone = None
        if gone is None:
            return self.send(204)
        if gone:
            return self.error(404, "ResourceMissingAtURI", "no such URI " + path)
        self.error(405, "OperationNotAllowed", "only sessions can be deleted here")

    # -- actions ------------------------------------------------------------
    def allowed(self, path, act, param):
        """The AllowableValues of param: a fault's, the action's, its
        ActionInfo's; None if the service says nothing."""
        st = self.st
        if param == "ResetType" and path in st.allow:
            return st.allow[path]
        vals = act.get(param + "@Redfish.AllowableValues")
        if vals is not None:
            return vals
        info = st.r(norm(act.get("@Redfish.ActionInfo", "")))
        for p in (info or {}).get("Parameters", []):
            if p.get("Name") == param and "AllowableValues" in p:
                return p["AllowableValues"]
        return None

    def post(self, path):
        st = self.st
        try:
            req = json.loads(self.body() or b"{}")
        except ValueError:
            return self.error(400, "MalformedJSON", "the body is not JSON")
        if not isinstance(req, dict):
            return self.error(400, "MalformedJSON", "the body is not a JSON object")
        with st.lock:
            st.posts.append(path)
        found = st.emu.actions.get(path)
        if found is None:
            return self.error(405 if st.r(path) is not None else 404, "ActionNotSupported",
                              "no action at " + path)
        _, name, act = found
        if name in ("#ComputerSystem.Reset", "#Manager.Reset"):
            rt = req.get("ResetType")
            with st.lock:
                vals = self.allowed(path, act, "ResetType")
            if rt is not None and vals is not None and rt not in vals:
                return self.error(400, "ActionParameterValueNotInList",
                                  "The value '%s' for the parameter ResetType is not in the "
                                  "list of acceptable values." % rt)
            with st.lock:
                (st.resets if name == "#ComputerSystem.Reset" else
                 st.manager_resets).append(rt)
                secs = st.reboot_s
            self.send(204)
            if name == "#Manager.Reset":
                # The service answers before it resets (Redfish spec).
                st.emu.reboot(st, secs)
            return
        if name == "#UpdateService.SimpleUpdate":
            return self.simple_update(path, act, req)
        self.send(204)

    def simple_update(self, path, act, req):
        st = self.st
        image = req.get("ImageURI")
        if not isinstance(image, str) or not image:
            return self.error(400, "ActionParameterMissing", "The action SimpleUpdate "
                              "requires the parameter ImageURI to be present.")
        proto = req.get("TransferProtocol")
        with st.lock:
            vals = self.allowed(path, act, "TransferProtocol")
        if proto is not None and vals is not None and proto not in vals:
            return self.error(400, "ActionParameterValueNotInList", "The value '%s' for the "
                              "parameter TransferProtocol is not in the list of acceptable "
                              "values." % proto)
        targets = req.get("Targets") or []
        with st.lock:
            version = st.update_version or image_version(image) or "0.0.0"
            inv = PREFIX + "/UpdateService/FirmwareInventory"
            items = []
            for m in (st.r(inv) or {}).get("Members", []):
                uri = norm(m.get("@odata.id", ""))
                o = st.r(uri) or {}
                rel = [norm(x.get("@odata.id", "")) for x in o.get("RelatedItem", [])]
                if targets:
                    if uri in targets or any(x in targets for x in rel):
                        items.append(uri)
                elif any(x.startswith(PREFIX + "/Managers/") for x in rel):
                    items.append(uri)
            st.next_task += 1
            tid = str(st.next_task)
            turi = TASKS + "/" + tid
            t = {"id": tid, "uri": turi, "start": time.monotonic(), "dur": st.update_s,
                 "state": "New", "status": "OK", "percent": 0,
                 "message": "Updating to %s from %s." % (version, image),
                 "to_version": version, "items": items,
                 "exception": st.update_exception, "seen_running": False,
                 "monitor": turi + "/Monitor" if st.task_monitor else None}
            reboot = st.update_reboot_s
            if reboot is not None:
                t["reboot_at"] = st.update_s / 2
                t["lost_in_reboot"] = True
            st.tasks[tid] = t
            obj = st.task_obj(t)
            sync = st.update_sync
        if reboot is not None:
            def mid_update(b=st, t=t, secs=float(reboot)):
                with b.lock:
                    t["state"] = "Running"
                    b.install(t)  # flashed; it reboots into the new image
                b.emu.reboot(b, secs)
            threading.Timer(st.update_s / 2, mid_update).start()
        if sync:
            return self.send(200, obj)
        self.send(202, obj, [("Location", t["monitor"] or turi), ("Retry-After", "1")])

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = dispatch


class Server(ThreadingHTTPServer):
    request_queue_size = 1024  # many clients at once (--bmcs): a deep backlog


def make_server(emu, port):
    host = "0.0.0.0" if emu.multi else "127.0.0.1"
    srv = Server((host, port), Handler)
    srv.daemon_threads = True
    srv.handle_error = lambda request, address: None  # a refused TLS handshake, a reset
    srv.emu = emu
    if emu.args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(emu.args.tls_cert, emu.args.tls_key)
        # The handshake happens in the request's thread, on first read: a
        # client that rejects the certificate never blocks the accept loop.
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    return srv


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True, help="the mockup folder (short form)")
    ap.add_argument("--port", type=int, default=0, help="0: a free port, printed")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="secret")
    ap.add_argument("--no-sessions", action="store_true",
                    help="no SessionService: basic auth only")
    ap.add_argument("--max-sessions", type=int, default=0,
                    help="503 SessionLimitExceeded beyond this many open sessions")
    ap.add_argument("--require-if-match", action="store_true", help="428 for a PATCH "
                    "without If-Match")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="exit after this many s (0: never)")
    ap.add_argument("--parent-pid", type=int, help="exit when this parent is gone "
                    "(default: the parent at start)")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--tls-key", help="the certificate's private key (PEM)")
    ap.add_argument("--bmcs", type=int, default=0, help="serve this many BMCs, one per "
                    "loopback address the client connects to")
    args = ap.parse_args()

    emu = Emu(args)
    srv = make_server(emu, args.port)
    port = srv.server_address[1]
    parent = args.parent_pid or os.getppid()
    deadline = time.monotonic() + args.timeout if args.timeout > 0 else None

    def reaper():
        # Stop when the test that started us is gone, or at the deadline.
        while os.getppid() == parent and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=reaper, daemon=True).start()
    print("PORT %d" % port, flush=True)
    try:
        while True:
            emu.srv = srv
            srv.serve_forever(poll_interval=0.05)
            # A reboot (one BMC): nobody listens until it is over.
            srv.server_close()
            wait = emu.reopen_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            srv = make_server(emu, port)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
