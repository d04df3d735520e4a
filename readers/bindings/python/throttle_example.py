#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""throttle_example.py - demo: an inference loop that halves its batch size
when Tctl passes 85 °C and restores it below 80 °C (hysteresis), reading the
temperature from the Sovereign segment.

    python3 throttle_example.py [--segment /sovereign] [--batch 64] [--iterations 20]
"""

import argparse
import sys
import time

from sovereign import Sovereign, SovereignError


class Throttle:
    """Batch-size decision with hysteresis; pure, no I/O (unit-tested).

    Above `high` °C the batch is halved (once per excursion, never below
    `min_batch`); it is restored only when the temperature falls below `low`,
    so a value hovering around one limit does not make the batch flap.  An
    unknown temperature (None: invalid sensor, stale segment) throttles too:
    fail safe.
    """

    def __init__(self, batch, high=85.0, low=80.0, min_batch=1):
        if not low < high:
            raise ValueError("low must be below high")
        self.full = int(batch)
        self.high = float(high)
        self.low = float(low)
        self.min_batch = int(min_batch)
        self.throttled = False

    @property
    def batch(self):
        return max(self.full // 2, self.min_batch) if self.throttled else self.full

    def decide(self, celsius):
        """Update with the newest Tctl (°C or None) and return the batch size to use."""
        if celsius is None or celsius > self.high:
            self.throttled = True
        elif celsius < self.low:
            self.throttled = False
        return self.batch


def read_tctl(sov, key):
    """Tctl in °C, or None when it cannot be trusted (invalid, stale, sampler away)."""
    try:
        return sov.value(key)
    except SovereignError as e:
        print(f"warning: {key}: {e}", file=sys.stderr)
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segment", default=None, help='shm name (default "/sovereign")')
    ap.add_argument("--sensor", default="Tctl", help="label or name of the CPU temperature")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--high", type=float, default=85.0)
    ap.add_argument("--low", type=float, default=80.0)
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between decisions")
    ap.add_argument("--iterations", type=int, default=0, help="0: run until interrupted")
    args = ap.parse_args(argv)

    thr = Throttle(args.batch, args.high, args.low)
    try:
        sov = Sovereign(args.segment)
    except SovereignError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    with sov:
        i = 0
        while args.iterations == 0 or i < args.iterations:
            t = read_tctl(sov, args.sensor)
            batch = thr.decide(t)
            shown = "n/a" if t is None else f"{t:.1f} °C"
            print(f"{args.sensor} {shown}  batch {batch}{'  (throttled)' if thr.throttled else ''}",
                  flush=True)
            i += 1
            if args.iterations == 0 or i < args.iterations:
                time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
