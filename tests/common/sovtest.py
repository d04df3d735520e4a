# SPDX-License-Identifier: GPL-2.0-or-later
"""sovtest.py - what the project's Python end-to-end tests share: numbered
ok/FAIL lines with the time since start, a check that stops the test, free
loopback ports, and polling with a deadline.

    import sovtest
    from sovtest import check, note, need, Fatal, free_port, wait_for
    ...
    sys.exit(1 if sovtest.failures else 0)
"""
import socket
import time

failures = 0
T0 = time.monotonic()


def check(cond, what):
    """Print "ok" or "FAIL" and @what; count a failure.  Return @cond."""
    global failures
    print("%6.1f %s %s" % (time.monotonic() - T0, "ok  " if cond else "FAIL", what), flush=True)
    if not cond:
        failures += 1
    return cond


def note(what):
    """A line of information (a measurement), not a check."""
    print("%6.1f      %s" % (time.monotonic() - T0, what), flush=True)


class Fatal(Exception):
    """Raised by need(): the rest of the test cannot go on."""


def need(cond, what):
    """A check the rest of the test cannot do without."""
    if not check(cond, what):
        raise Fatal(what)


def free_port():
    """A TCP port on 127.0.0.1 nobody holds right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, secs, step=0.05, ignore=()):
    """@pred() until it is true or @secs have passed; exceptions of the
    types in @ignore count as "not yet".  Return: its last value."""
    end = time.monotonic() + secs
    while True:
        try:
            v = pred()
        except ignore:
            v = None
        if v or time.monotonic() > end:
            return v
        time.sleep(step)
