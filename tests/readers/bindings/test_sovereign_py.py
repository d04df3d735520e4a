# SPDX-License-Identifier: LGPL-2.1-or-later
"""test_sovereign_py.py - unittest of the Python bindings (sovereign.py) and
the throttle example, against a segment written by bind_helper ($SOV_BIND_HELPER)."""

import errno
import io
import os
import struct
import subprocess
import unittest
from contextlib import redirect_stdout

import sovereign
import throttle_example
from sovereign import (SOV_EFOREIGN, SOV_ESTATE, SOV_ETRUNC, NoSuchSensor, Sovereign,
                       SovereignError, StaleError, segment_path)
from throttle_example import Throttle

HELPER = os.environ.get("SOV_BIND_HELPER")
if not HELPER:
    # Not a skip: run outside ctest, the test fails and says why.
    raise RuntimeError("SOV_BIND_HELPER not set: run through ctest (tests/readers/bindings)")


class Writer:
    """bind_helper as a subprocess: pub() publishes one sample and waits for it."""

    def __init__(self, name):
        self.name = name
        self.p = subprocess.Popen([HELPER, name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        line = self.p.stdout.readline().strip()
        if line != "ready":
            self.p.kill()
            raise RuntimeError(f"helper did not start: {line!r}")

    def pub(self, tctl_mc, dimm_mc=40000, rpm=1500, age_ns=0):
        self.p.stdin.write(f"pub {tctl_mc} {dimm_mc} {rpm} {age_ns}\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline().strip()
        assert line.startswith("ok "), line
        return int(line.split()[1])

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.p.stdout.close()


class TestSovereign(unittest.TestCase):
    seq = 0

    def setUp(self):
        TestSovereign.seq += 1
        self.name = f"/sov-bind-{os.getpid()}-{TestSovereign.seq}"
        self.w = Writer(self.name)
        self.addCleanup(self.w.close)

    def test_value_in_celsius(self):
        self.w.pub(67250, 41500, 2400)
        with Sovereign(self.name) as s:
            self.assertEqual(s.value("Tctl"), 67.25)
            self.assertEqual(s.value("DIMM A1"), 41.5)
            self.assertEqual(s.value("fan1"), 2400.0)
            self.assertEqual(s.value("temp1", chip="jc42/i2c-0-18"), 41.5)
            v, age = s.value("Tctl", with_age=True)
            self.assertEqual(v, 67.25)
            self.assertTrue(0.0 <= age < 1.0, age)
            self.w.pub(70000)
            self.assertEqual(s.value("Tctl"), 70.0, "follows new samples")

    def test_invalid_is_none(self):
        self.w.pub(60000)
        with Sovereign(self.name) as s:
            self.assertIsNone(s.value("Tccd1"))

    def test_missing_sensor_raises(self):
        self.w.pub(60000)
        with Sovereign(self.name) as s:
            with self.assertRaises(NoSuchSensor) as cm:
                s.value("nope")
            self.assertIn("nope", str(cm.exception))
            self.assertIsInstance(cm.exception, KeyError)

    def test_temperatures(self):
        self.w.pub(70125, 38000)
        with Sovereign(self.name) as s:
            self.assertEqual(s.temperatures(), {"Tctl": 70.125, "DIMM A1": 38.0})

    def test_age_and_stale(self):
        self.w.pub(50000, age_ns=10_000_000_000)  # 10 s old
        with Sovereign(self.name) as s:
            self.assertGreaterEqual(s.age(), 10.0)
            with self.assertRaises(StaleError) as cm:
                s.value("Tctl")
            # The library's message for -ESTALE, after what was asked for.
            self.assertEqual(cm.exception.errno, errno.ESTALE)
            self.assertEqual(str(cm.exception),
                             f"[Errno {errno.ESTALE}] sensor 'Tctl': Stale file handle")
            with self.assertRaises(StaleError) as cm:
                s.temperatures()
            self.assertEqual(str(cm.exception),
                             f"[Errno {errno.ESTALE}] temperatures: Stale file handle")
            s.set_stale_limit(30)
            self.assertEqual(s.value("Tctl"), 50.0)

    def test_open_error_message(self):
        with self.assertRaises(SovereignError) as cm:
            Sovereign(self.name + "-absent")
        self.assertEqual(cm.exception.errno, 2)  # ENOENT
        self.assertIn(self.name + "-absent", str(cm.exception))

    def test_open_error_names_the_file(self):
        with self.assertRaises(SovereignError) as cm:
            Sovereign(self.name + "-absent")
        self.assertIn(segment_path(self.name + "-absent"), str(cm.exception))

    def test_segment_path_is_the_libraries(self):
        old = os.environ.get("SOVEREIGN_RUN_DIR")
        self.addCleanup(lambda: os.environ.__setitem__("SOVEREIGN_RUN_DIR", old) if old
                        else os.environ.pop("SOVEREIGN_RUN_DIR", None))
        os.environ.pop("SOVEREIGN_RUN_DIR", None)
        self.assertEqual(segment_path(), "/run/sovereign/sovereign")
        self.assertEqual(segment_path("/x"), "/run/sovereign/x")
        self.assertEqual(segment_path("/var/lib/s/x"), "/var/lib/s/x", "absolute path")
        os.environ["SOVEREIGN_RUN_DIR"] = "/tmp/sov-py/"
        self.assertEqual(segment_path("/x"), "/tmp/sov-py/x")
        with self.assertRaises(SovereignError) as cm:
            segment_path("x")
        self.assertEqual(cm.exception.errno, 22)  # EINVAL

    def _copy(self, suffix, edit):
        """A copy of the live segment beside it, 0640, changed by edit(bytearray);
        returns its absolute path (a name with a further slash)."""
        with open(segment_path(self.name), "rb") as f:
            data = bytearray(f.read())
        data = edit(data)
        path = segment_path(self.name) + suffix
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(path, 0o640)
        return path

    def test_refuses_untrusted_file(self):
        self.w.pub(60000)
        path = segment_path(self.name)
        with Sovereign(self.name) as s:
            self.assertEqual(s.path, path)
        for mode in (0o660, 0o646):
            os.chmod(path, mode)
            with self.assertRaises(SovereignError) as cm:
                Sovereign(self.name)
            self.assertEqual(cm.exception.errno, SOV_EFOREIGN, f"mode {mode:o}")
            self.assertIn("not trusted", str(cm.exception))
        os.chmod(path, 0o640)
        if os.geteuid() == 0:  # root does not trust nobody's file
            os.chown(path, 65534, -1)
            with self.assertRaises(SovereignError) as cm:
                Sovereign(self.name)
            self.assertEqual(cm.exception.errno, SOV_EFOREIGN, "another owner")
            os.chown(path, 0, -1)
        with Sovereign(self.name) as s:
            self.assertEqual(s.value("Tctl"), 60.0)

    def test_refuses_truncated_file(self):
        self.w.pub(60000)
        with open(segment_path(self.name), "rb") as f:
            total = struct.unpack_from("<Q", f.read(), 80)[0]  # header.total_size
        path = self._copy(".short", lambda d: d[:total - 1])
        with self.assertRaises(SovereignError) as cm:
            Sovereign(path)
        self.assertEqual(cm.exception.errno, SOV_ETRUNC)
        with Sovereign(self._copy(".whole", lambda d: d)) as s:
            self.assertEqual(s.value("Tctl"), 60.0, "the same bytes, whole: accepted")

    def test_refuses_unknown_state(self):
        self.w.pub(60000)

        def state7(d):
            struct.pack_into("<I", d, 264, 7)  # header.state, no writer's value
            return d
        with self.assertRaises(SovereignError) as cm:
            Sovereign(self._copy(".state", state7))
        self.assertEqual(cm.exception.errno, SOV_ESTATE)

    def test_writer_restart(self):
        self.w.pub(60000)
        s = Sovereign(self.name)
        self.addCleanup(s.close)
        self.assertEqual(s.value("Tctl"), 60.0)
        self.w.close()                      # the helper unlinks the segment
        self.w = Writer(self.name)          # a new writer, a new object
        self.addCleanup(self.w.close)
        self.w.pub(81000)
        self.assertEqual(s.value("Tctl"), 81.0)

    def test_throttle_example_against_segment(self):
        self.w.pub(90000)
        out = io.StringIO()
        with redirect_stdout(out):
            rc = throttle_example.main(["--segment", self.name, "--batch", "64",
                                        "--iterations", "1", "--interval", "0"])
        self.assertEqual(rc, 0)
        self.assertIn("batch 32", out.getvalue())


class TestThrottle(unittest.TestCase):
    def test_hysteresis(self):
        t = Throttle(64, high=85, low=80)
        rising = [70, 80, 84.9, 85.0, 85.1, 90, 86]
        falling = [84, 81, 80.0, 79.9, 75, 84, 85.5, 82, 79]
        got = [t.decide(c) for c in rising + falling]
        want = [64, 64, 64, 64, 32, 32, 32,    # halves only above 85
                32, 32, 32, 64, 64, 64, 32, 32, 64]  # restores only below 80
        self.assertEqual(got, want)

    def test_halves_once_per_excursion(self):
        t = Throttle(64)
        self.assertEqual([t.decide(c) for c in (90, 95, 99)], [32, 32, 32])

    def test_unknown_temperature_throttles(self):
        t = Throttle(8)
        self.assertEqual(t.decide(None), 4)
        self.assertEqual(t.decide(70), 8)

    def test_min_batch(self):
        self.assertEqual(Throttle(1, min_batch=1).decide(100), 1)
        with self.assertRaises(ValueError):
            Throttle(8, high=80, low=85)


if __name__ == "__main__":
    unittest.main()
