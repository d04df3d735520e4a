# SPDX-License-Identifier: LGPL-2.1-or-later
"""sovereign.py - the inference runtime's Python view of the Sovereign
segment: ctypes over libsovereign_runtime (no compiled extension).

    from sovereign import Sovereign
    with Sovereign() as s:            # segment "/sovereign": /run/sovereign/sovereign
        tctl = s.value("Tctl")        # °C as float, None if the sensor is invalid
        temps = s.temperatures()      # {"Tctl": 67.25, "DIMM A1": 41.5}
        age = s.age()                 # seconds since the newest sample

Everything about the segment is libsovereign's, so C and Python agree by
construction: where a name lives (segment_path(): "/x" is
/run/sovereign/x, or $SOVEREIGN_RUN_DIR/x; a name with a further slash is
an absolute path), which file is trusted (a regular file of root or of
the caller's own user, not writable by group or others, no shorter than
its header's layout: else SovereignError with errno SOV_EFOREIGN or
SOV_ETRUNC), and the generation protocol of attach and re-attach.

The library is found through $SOVEREIGN_LIB (a path to
libsovereign_runtime.so), then a build tree next to the sources
(build*/readers/bindings/), then the system's library path.
"""

import ctypes
import ctypes.util
import errno
import glob
import os

__all__ = ["Sovereign", "SovereignError", "NoSuchSensor", "StaleError", "load_library",
           "segment_path", "SOV_EFOREIGN", "SOV_ETRUNC", "SOV_ESTATE", "SOV_ENOTREADY"]

NAME_LEN = 48  # SOV_NAME_LEN in shm_abi.h
PATH_MAX = 4096

# libsovereign's own codes (shm_error.h), as SovereignError.errno
_SOV_EBASE = 0x5000
SOV_ETRUNC = _SOV_EBASE + 4      # file smaller than its layout
SOV_EFOREIGN = _SOV_EBASE + 5    # file, directory or lock file not trusted
SOV_ENOTREADY = _SOV_EBASE + 8   # writer initialising
SOV_ESTATE = _SOV_EBASE + 14     # header state no writer writes


class _Reading(ctypes.Structure):
    # struct sov_rt_reading in runtime.h
    _fields_ = [("label", ctypes.c_char * NAME_LEN),
                ("chip", ctypes.c_char * NAME_LEN),
                ("celsius", ctypes.c_double),
                ("age_s", ctypes.c_double)]


class SovereignError(OSError):
    """A libsovereign error: .errno is the positive code, str() the library's message."""

    def __init__(self, code, message, what=""):
        super().__init__(code, f"{what}: {message}" if what else message)


class NoSuchSensor(SovereignError, KeyError):
    """No sensor has this label or name (-ENOENT)."""

    def __str__(self):
        return OSError.__str__(self)


class StaleError(SovereignError):
    """The newest sample is older than the limit: the sampler is stopped or hung (-ESTALE)."""


_lib = None


def _candidates():
    env = os.environ.get("SOVEREIGN_LIB")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", "..", ".."))
    # "build/" first, then other build trees; never a sanitizer or fuzz
    # build: an ASan-built library aborts a python3 that did not preload
    # libasan (use SOVEREIGN_LIB and LD_PRELOAD for those on purpose).
    rel = os.path.join("readers", "bindings", "libsovereign_runtime.so")
    trees = sorted(glob.glob(os.path.join(root, "build*", "")))
    trees.sort(key=lambda d: os.path.basename(os.path.dirname(d)) != "build")
    for d in trees:
        base = os.path.basename(os.path.dirname(d))
        if "san" in base or "fuzz" in base:
            continue
        if os.path.exists(os.path.join(d, rel)):
            yield os.path.join(d, rel)
    found = ctypes.util.find_library("sovereign_runtime")
    if found:
        yield found
    yield "libsovereign_runtime.so.1"


def load_library():
    """Load libsovereign_runtime once and declare its prototypes; return the CDLL."""
    global _lib
    if _lib is not None:
        return _lib
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
            break
        except OSError as e:
            errors.append(f"{path}: {e}")
    else:
        raise SovereignError(errno.ENOENT, "libsovereign_runtime not found (set SOVEREIGN_LIB): "
                             + "; ".join(errors))
    vp, c_int, c_double = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
    pd = ctypes.POINTER(c_double)
    for name, res, args in [
            ("sov_rt_open", c_int, [ctypes.c_char_p, ctypes.POINTER(vp)]),
            ("sov_rt_close", None, [vp]),
            ("sov_rt_set_stale_limit", c_int, [vp, c_double]),
            ("sov_rt_value", c_int, [vp, ctypes.c_char_p, pd, pd]),
            ("sov_rt_lookup", c_int, [vp, ctypes.c_char_p, ctypes.c_char_p]),
            ("sov_rt_value_at", c_int, [vp, c_int, pd, pd]),
            ("sov_rt_temperatures", c_int, [vp, ctypes.POINTER(_Reading), c_int]),
            ("sov_rt_age", c_int, [vp, pd]),
            ("sov_rt_sensor_count", c_int, [vp]),
            ("sov_rt_strerror", ctypes.c_char_p, [c_int]),
            # libsovereign's, reached through the runtime library's dependencies
            ("sov_shm_path", c_int, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t])]:
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    _lib = lib
    return lib


def segment_path(segment=None):
    """The file segment `segment` (default "/sovereign") lives in, by libsovereign's
    own rule (sov_shm_path()), so that it is the file the C readers open."""
    lib = load_library()
    buf = ctypes.create_string_buffer(PATH_MAX)
    rc = lib.sov_shm_path(segment.encode() if segment else None, buf, PATH_MAX)
    if rc:
        _raise(rc, f"segment name {segment!r}")
    return buf.value.decode()


def _raise(rc, what):
    msg = _lib.sov_rt_strerror(rc).decode(errors="replace")
    code = -rc
    if code == errno.ENOENT and what.startswith("sensor"):
        raise NoSuchSensor(code, msg, what)
    if code == errno.ESTALE:
        raise StaleError(code, msg, what)
    raise SovereignError(code, msg, what)


class Sovereign:
    """A read-only handle on a Sovereign segment (default "/sovereign").

    Re-attaches by itself when the sampler restarts.  Not for sharing
    between threads: give each thread its own instance.
    """

    def __init__(self, segment=None, stale_s=None):
        lib = load_library()
        self._lib = lib
        self._h = ctypes.c_void_p()
        self._keys = {}
        self.path = segment_path(segment)
        rc = lib.sov_rt_open(segment.encode() if segment else None, ctypes.byref(self._h))
        if rc:
            self._h = None
            _raise(rc, f"open {segment or '/sovereign'} ({self.path})")
        if stale_s is not None:
            self.set_stale_limit(stale_s)

    def close(self):
        if self._h:
            self._lib.sov_rt_close(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def _handle(self):
        if not self._h:
            raise SovereignError(errno.EBADF, "handle closed")
        return self._h

    def set_stale_limit(self, seconds):
        """Fail value()/temperatures() with StaleError when the newest sample is older."""
        rc = self._lib.sov_rt_set_stale_limit(self._handle(), float(seconds))
        if rc:
            _raise(rc, "stale limit")

    def value(self, key, chip=None, with_age=False):
        """Newest value of sensor `key` (label or name; optionally on `chip`) in base
        units (°C, V, A, W, J, RPM, ratio); None if the sensor is invalid (its last
        read failed).  with_age=True returns (value, age_s).  Raises NoSuchSensor,
        StaleError or SovereignError."""
        h = self._handle()
        v, age = ctypes.c_double(), ctypes.c_double()
        k = (chip, key)
        idx = self._keys.get(k)
        if idx is None:
            idx = self._lib.sov_rt_lookup(h, chip.encode() if chip else None, key.encode())
            if idx < 0:
                _raise(idx, f"sensor {key!r}")
            self._keys[k] = idx
        rc = self._lib.sov_rt_value_at(h, idx, ctypes.byref(v), ctypes.byref(age))
        if rc == -errno.ENODATA:
            return (None, None) if with_age else None
        if rc:
            _raise(rc, f"sensor {key!r}")
        return (v.value, age.value) if with_age else v.value

    def temperatures(self):
        """{label: °C} of every valid temperature in the newest sample."""
        h = self._handle()
        n = max(self._lib.sov_rt_sensor_count(h), 1)
        while True:
            buf = (_Reading * n)()
            rc = self._lib.sov_rt_temperatures(h, buf, n)
            if rc < 0:
                _raise(rc, "temperatures")
            if rc < n:
                break
            n *= 2  # full: a re-attach may have grown the table
        return {buf[i].label.decode(errors="replace"): buf[i].celsius for i in range(rc)}

    def age(self):
        """Seconds since the newest sample was published (never raises StaleError)."""
        a = ctypes.c_double()
        rc = self._lib.sov_rt_age(self._handle(), ctypes.byref(a))
        if rc:
            _raise(rc, "age")
        return a.value
