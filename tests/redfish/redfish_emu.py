#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""redfish_emu.py - a small Redfish service for the tests: serves a DMTF mockup
(short form, one index.json per URI) on 127.0.0.1 with the behaviour the
mockup lacks: sessions and basic auth, strong ETags that change on every
PATCH, If-Match checked (412, 428), and faults a test injects.

Python 3 standard library only.  Usage:

  redfish_emu.py --root DIR [--port N] [--user U --password P]
                 [--no-sessions] [--require-if-match] [--timeout S]
                 [--tls-cert PEM --tls-key PEM] [--parent-pid PID]

--port 0 (the default) takes a free port.  With --tls-cert and --tls-key it
speaks HTTPS only (the tests make a throw-away certificate with openssl).  Once listening it prints one line
"PORT <n>" on stdout and flushes it.  It exits by itself when its parent dies
(the test that started it: --parent-pid names it, so that a parent gone
before the emulator looked is noticed too) or after --timeout seconds
(default 300).

Control endpoint (no auth; loopback only; for the test, not Redfish):
  GET  /_emu/state  -> {"sessions": [uri...], "requests": n, "patches": n,
                        "basic_requests": n, "if_match": [values seen]}
  POST /_emu/fault  <- {"patch_412": n,          the next n PATCHes get 412
                                                  (the resource "changes": its
                                                  ETag moves before answering)
                        "refuse_sessions": bool, POST Sessions -> 503
                        "expire_sessions": true, every session ends now
                        "delay_ms": ms, "delay_count": n}
                                                  the next n requests (all if
                                                  delay_count is absent) wait
"""
import argparse
import base64
import copy
import json
import os
import secrets
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/redfish/v1"


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


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.res = load(args.root)
        self.version = {uri: 1 for uri in self.res}
        self.sessions = {}  # uri -> token
        self.requests = self.patches = self.basic_requests = 0
        self.if_match = []
        self.patch_412 = 0
        self.refuse_sessions = False
        self.delay_ms = 0
        self.delay_count = None  # None: every request
        sess = PREFIX + "/SessionService/Sessions"
        if args.no_sessions:
            # A service without a SessionService: basic auth only.
            root = self.res[PREFIX]
            root.pop("SessionService", None)
            root.get("Links", {}).pop("Sessions", None)
            for uri in [u for u in self.res if u.startswith(PREFIX + "/SessionService")]:
                del self.res[uri]
        elif sess in self.res:
            self.res[sess]["Members"] = []
            self.res[sess]["Members@odata.count"] = 0

    def etag(self, uri):
        return '"%d"' % self.version[uri]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "redfish-emu/1"

    def log_message(self, fmt, *a):  # quiet: the tests read stdout
        pass

    @property
    def st(self):
        return self.server.state

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
            if user == st.args.user and pw == st.args.password:
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
                self.send(200, {"sessions": sorted(st.sessions), "requests": st.requests,
                                "patches": st.patches, "basic_requests": st.basic_requests,
                                "if_match": st.if_match})
            return
        if self.command == "POST" and path == "/_emu/fault":
            f = json.loads(self.body() or b"{}")
            with st.lock:
                st.patch_412 = int(f.get("patch_412", st.patch_412))
                st.refuse_sessions = bool(f.get("refuse_sessions", st.refuse_sessions))
                if f.get("expire_sessions"):
                    # As a BMC's SessionTimeout does: gone without a DELETE.
                    coll = PREFIX + "/SessionService/Sessions"
                    for uri in st.sessions:
                        del st.res[uri]
                    st.sessions.clear()
                    if coll in st.res:
                        st.res[coll]["Members"] = []
                        st.res[coll]["Members@odata.count"] = 0
                if "delay_ms" in f:
                    st.delay_ms = int(f["delay_ms"])
                    st.delay_count = f.get("delay_count")
            self.send(204)
            return
        self.send(404)

    # -- Redfish ------------------------------------------------------------
    def dispatch(self):
        if self.path.startswith("/_emu/"):
            return self.control()
        with self.st.lock:
            self.st.requests += 1
        self.delay()
        path = norm(self.path)
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            return self.error(404, "ResourceMissingAtURI", "no such URI")
        sess_coll = PREFIX + "/SessionService/Sessions"
        if self.command == "POST" and path == sess_coll and not self.st.args.no_sessions:
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
        self.error(405, "OperationNotAllowed", "method not allowed here")

    def get(self, path):
        st = self.st
        with st.lock:
            if path not in st.res:
                return self.error(404, "ResourceMissingAtURI", "no such URI " + path)
            obj = copy.deepcopy(st.res[path])
            tag = st.etag(path)
        obj["@odata.etag"] = tag
        self.send(200, obj, [("ETag", tag)])

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
            if path not in st.res:
                return self.error(404, "ResourceMissingAtURI", "no such URI " + path)
            if "Members" in st.res[path]:
                return self.error(405, "OperationNotAllowed", "a collection cannot be patched")
            st.if_match.append(im)
            if st.patch_412 > 0:
                # Someone else changed the resource just before us.
                st.patch_412 -= 1
                st.version[path] += 1
                return self.error(412, "PreconditionFailed", "The ETag supplied did not "
                                  "match the ETag required to change this resource.")
            if im is None and st.args.require_if_match:
                return self.error(428, "PreconditionRequired", "A precondition header "
                                  "(If-Match) is required.")
            if im is not None and im != "*" and im != st.etag(path):
                return self.error(412, "PreconditionFailed", "The ETag supplied did not "
                                  "match the ETag required to change this resource.")
            merge(st.res[path], req)
            st.version[path] += 1
            st.patches += 1
            tag = st.etag(path)
        self.send(204, headers=[("ETag", tag)])

    def login(self):
        st = self.st
        try:
            req = json.loads(self.body() or b"{}")
        except ValueError:
            return self.error(400, "MalformedJSON", "the body is not JSON")
        with st.lock:
            refuse = st.refuse_sessions
        if refuse:
            return self.error(503, "SessionLimitExceeded", "The session establishment "
                              "failed due to the number of simultaneous sessions exceeding "
                              "the limit of the implementation.")
        if req.get("UserName") != st.args.user or req.get("Password") != st.args.password:
            return self.error(401, "ResourceAtUriUnauthorized", "While accessing the "
                              "resource, an authentication error occurred.")
        sid = secrets.token_hex(8)
        tok = secrets.token_hex(16)
        uri = PREFIX + "/SessionService/Sessions/" + sid
        obj = {"@odata.type": "#Session.v1_6_0.Session", "@odata.id": uri, "Id": sid,
               "Name": "User Session", "UserName": st.args.user}
        coll = PREFIX + "/SessionService/Sessions"
        with st.lock:
            st.sessions[uri] = tok
            st.res[uri] = obj
            st.version[uri] = 1
            st.res[coll]["Members"].append({"@odata.id": uri})
            st.res[coll]["Members@odata.count"] = len(st.res[coll]["Members"])
        self.send(201, obj, [("X-Auth-Token", tok), ("Location", uri)])

    def delete(self, path):
        st = self.st
        coll = PREFIX + "/SessionService/Sessions"
        with st.lock:
            if path not in st.sessions:
                gone = path not in st.res
            else:
                del st.sessions[path]
                del st.res[path]
                st.res[coll]["Members"] = [m for m in st.res[coll]["Members"]
                                           if m["@odata.id"] != path]
                st.res[coll]["Members@odata.count"] = len(st.res[coll]["Members"])
                gone = None
        if gone is None:
            return self.send(204)
        if gone:
            return self.error(404, "ResourceMissingAtURI", "no such URI " + path)
        self.error(405, "OperationNotAllowed", "only sessions can be deleted here")

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = dispatch


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True, help="the mockup folder (short form)")
    ap.add_argument("--port", type=int, default=0, help="0: a free port, printed")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="secret")
    ap.add_argument("--no-sessions", action="store_true",
                    help="no SessionService: basic auth only")
    ap.add_argument("--require-if-match", action="store_true", help="428 for a PATCH "
                    "without If-Match")
    ap.add_argument("--timeout", type=float, default=300.0, help="exit after this many s")
    ap.add_argument("--parent-pid", type=int, help="exit when this parent is gone "
                    "(default: the parent at start)")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--tls-key", help="the certificate's private key (PEM)")
    args = ap.parse_args()

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.handle_error = lambda request, address: None  # a refused TLS handshake, a reset
    srv.state = State(args)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        # The handshake happens in the request's thread, on first read: a
        # client that rejects the certificate never blocks the accept loop.
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    parent = args.parent_pid or os.getppid()
    deadline = time.monotonic() + args.timeout

    def reaper():
        # Stop when the test that started us is gone, or at the deadline.
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=reaper, daemon=True).start()
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
