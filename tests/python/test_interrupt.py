"""Ctrl-C stops a run within a second and leaves no file behind; an exception raised by the
progress callback stops it the same way."""
import os
import signal
import subprocess
import sys
import time

import pytest

import chipshock
from conftest import BOOK, MARKET, ROOT

SCRIPT = r"""
import os, sys, time
import chipshock
out, marker, horizon = sys.argv[1], sys.argv[2], int(sys.argv[3])
def progress(stage, done, total):
    if not os.path.exists(marker):
        open(marker, "w").close()
try:
    chipshock.run(sys.argv[4], sys.argv[5], paths=500_000_000, horizon=horizon, backend="cpu",
                  threads=2, out=out, progress=progress)
except KeyboardInterrupt:
    print(time.monotonic(), flush=True)
    sys.exit(42)
print("finished", flush=True)
"""


@pytest.mark.parametrize("horizon", [1, 252], ids=["one day", "a year: a batch takes seconds"])
def test_ctrl_c_stops_within_a_second(tmp_path, horizon):
    out = tmp_path / "out"
    out.mkdir()
    marker = tmp_path / "started"
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(out), str(marker), str(horizon),
                             MARKET, BOOK], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():  # the paths are running
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never reported progress"
            time.sleep(0.05)
        time.sleep(1.0)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 42, (stdout, stderr)
    stopped = float(stdout.split()[0])
    assert stopped - sent < 1.0, f"stopped {stopped - sent:.3f} s after Ctrl-C"
    assert list(out.iterdir()) == []  # no report, no temporary file


def test_an_exception_in_progress_stops_the_run(tmp_path):
    class Enough(Exception):
        pass

    def progress(stage, done, total):
        if done > 0:
            raise Enough(stage)

    out = tmp_path / "out"
    out.mkdir()
    start = time.monotonic()
    with pytest.raises(Enough):
        chipshock.run(MARKET, BOOK, paths=500_000_000, horizon=10, backend="cpu", threads=2,
                      out=out, progress=progress)
    assert time.monotonic() - start < 30
    assert list(out.iterdir()) == []
    # The next run is not affected.
    assert chipshock.run(MARKET, BOOK, paths=5000, backend="cpu").var(0.99) > 0
