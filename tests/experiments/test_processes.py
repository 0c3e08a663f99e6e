"""Processes: killed and stopped batches leave no orphan, one writer per directory, signals
passed on by the app command, a Dask scheduler without workers gives up in bounded time.

These tests start real commands as subprocesses (``python -m experiments.cli.main``) and wait
for conditions (a file appearing, a process ending) with generous deadlines, never for a fixed
time, so they hold on a loaded machine. Linux only (they read the process tree from /proc).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="reads the process tree from /proc (Linux)")

DEADLINE_S = 120.0
"""Longest wait for any condition (a loaded 2-core machine may be slow, never this slow)."""

SPEC = """\
[batch]
name = "procs"
scenarios = ["baseline"]
steps = 24
runs_per_partition = 1

[replications]
seeds = {seeds}
master_seed = 11
"""


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "experiments.cli.main", *args]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _ppid_and_state(pid: int) -> tuple[int, str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0]


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children, grandchildren...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = _ppid_and_state(int(entry.name))
            if info is not None:
                children.setdefault(info[0], []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def alive(pid: int) -> bool:
    info = _ppid_and_state(pid)
    return info is not None and info[1] != "Z"


def status(out: Path) -> str | None:
    try:
        return json.loads((out / "batch.json").read_text())["status"]
    except (OSError, ValueError, KeyError):
        return None


def parts_done(out: Path) -> int:
    return len(list((out / "runs").glob("*/*/part-*/seed-*.json")))


def start_batch(tmp_path: Path, seeds: int, out: Path) -> subprocess.Popen[str]:
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(seeds=seeds), encoding="utf-8")
    return subprocess.Popen(
        cli("batch", str(spec), "--out", str(out), "--workers", "2", "--no-progress"),
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _workers_started(proc: subprocess.Popen[str], out: Path) -> Callable[[], bool]:
    def ready() -> bool:
        assert proc.poll() is None, proc.communicate()
        return status(out) == "running" and parts_done(out) >= 1 and len(
            descendants(proc.pid)) >= 3  # fork server and two workers (and the tracker)
    return ready


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT],
                         ids=["SIGKILL", "SIGTERM", "SIGINT"])
def test_a_killed_batch_leaves_no_process_and_resumes(tmp_path: Path, sig: signal.Signals
                                                      ) -> None:
    """Kill the batch command: its fork server, workers and resource tracker end too, and
    write nothing more; SIGTERM and SIGINT mark the batch interrupted (exit 130); a later start
    recognises a killed `running` state and completes the batch (checked after SIGKILL)."""
    out = tmp_path / "out"
    proc = start_batch(tmp_path, 40, out)
    wait_for(_workers_started(proc, out), "the batch's workers to start and finish a run")
    tree = descendants(proc.pid)
    proc.send_signal(sig)
    code = proc.wait(timeout=DEADLINE_S)
    stderr = proc.stderr.read() if proc.stderr else ""
    wait_for(lambda: not any(alive(p) for p in tree), "the batch's processes to end")
    done = parts_done(out)
    if sig != signal.SIGKILL:
        assert code == 130, stderr
        assert "interrupted" in stderr and "Traceback" not in stderr
        assert status(out) == "interrupted"
    else:
        assert code == -signal.SIGKILL
        assert status(out) == "running"
    assert parts_done(out) == done  # nothing written after the processes ended
    if sig != signal.SIGKILL:  # a stop cleans up what the workers were writing; a kill cannot
        assert not list(out.rglob(".tmp-*"))
    if sig != signal.SIGKILL:
        return  # resuming is the same after any stop; the SIGKILL case checks it
    rerun = start_batch(tmp_path, 40, out)
    stdout, stderr = rerun.communicate(timeout=10 * DEADLINE_S)
    assert rerun.returncode == 0, stderr
    assert "40/40 runs complete" in stdout
    assert "ended without closing it" in stderr
    assert status(out) == "complete" and parts_done(out) == 40
    assert not list(out.rglob(".tmp-*"))


def test_a_second_batch_into_the_same_directory_is_refused(tmp_path: Path) -> None:
    """While a batch runs, the same batch into the same --out stops at once (exit 2, one
    line naming the running process); the first is not disturbed."""
    out = tmp_path / "out"
    first = start_batch(tmp_path, 2000, out)  # far more than can run during the test
    wait_for(_workers_started(first, out), "the first batch to start")
    second = start_batch(tmp_path, 2000, out)
    _, err = second.communicate(timeout=DEADLINE_S)
    assert second.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"process {first.pid}" in lines[0]
    assert first.poll() is None
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=DEADLINE_S) == 130


HOLDER = """\
import sys
from pathlib import Path
from experiments.run.lock import OutputLock
OutputLock(Path(sys.argv[1]), "run").acquire()
print("held", flush=True)
sys.stdin.read()
"""


def test_run_out_held_by_a_live_process_is_refused_and_freed_by_its_death(tmp_path: Path
                                                                          ) -> None:
    """Two writers of one --out: the second fails (exit 2) while the first holds it; once
    the holder is killed (kill -9), the lock is free at once (never stale)."""
    out = tmp_path / "o"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    second = subprocess.run(cli("run", "--steps", "2", "--out", str(out)), cwd=tmp_path,
                            capture_output=True, text=True, timeout=DEADLINE_S)
    assert second.returncode == 2, second.stderr
    assert f"process {holder.pid}" in second.stderr and not out.exists()
    holder.kill()
    holder.wait(timeout=DEADLINE_S)
    third = subprocess.run(cli("run", "--steps", "2", "--out", str(out)), cwd=tmp_path,
                           capture_output=True, text=True, timeout=DEADLINE_S)
    assert third.returncode == 0, third.stderr
    assert (out / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


SERVER = """\
import signal, sys, time
from pathlib import Path
def stop(signum, frame):
    Path(sys.argv[1]).write_text(signal.Signals(signum).name)
    sys.exit(7)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGHUP, stop)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""

APP = """\
import sys
from experiments.cli.app import serve
sys.exit(serve([sys.executable, "-c", sys.argv[1], sys.argv[2]]))
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_the_app_command_passes_stop_signals_to_its_server(tmp_path: Path,
                                                           sig: signal.Signals) -> None:
    """`compute-market app` runs the server as a child (`serve`): a signal sent to the
    command reaches the server, which stops; the command exits with the server's code."""
    marker = tmp_path / "got"
    app = subprocess.Popen([sys.executable, "-c", APP, SERVER, str(marker)],
                           stdout=subprocess.PIPE, text=True)
    assert app.stdout is not None and app.stdout.readline().strip() == "ready"
    server = descendants(app.pid)
    assert server
    app.send_signal(sig)
    assert app.wait(timeout=DEADLINE_S) == 7
    assert marker.read_text() == sig.name
    wait_for(lambda: not any(alive(p) for p in server), "the server to end")


def test_a_dask_scheduler_without_workers_gives_up_in_bounded_time(tmp_path: Path) -> None:
    """--dask to a scheduler that has no worker: one line and exit 2 after --dask-wait,
    nothing written."""
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(seeds=1), encoding="utf-8")
    with LocalCluster(n_workers=0, processes=True, dashboard_address=None) as cluster:
        done = subprocess.run(
            cli("batch", str(spec), "--out", str(tmp_path / "b"), "--dask",
                cluster.scheduler_address, "--dask-wait", "2"),
            cwd=tmp_path, capture_output=True, text=True, timeout=DEADLINE_S)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no Dask worker joined" in lines[0]
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", True), ("192.0.2.7", True),
                                              ("127.0.0.1", False), ("localhost", False)])
def test_app_on_a_network_address_warns_in_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str,
        warned: bool) -> None:
    import experiments.cli.app
    from experiments.cli.main import main

    monkeypatch.setattr(experiments.cli.app, "serve", lambda command: 0)
    assert main(["app", "--host", host]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(lines) == (1 if warned else 0)
    if warned:
        assert host in lines[0]


@pytest.mark.parametrize(("address", "warned"), [("tcp://192.0.2.9:8786", True),
                                                 ("tls://cluster.example.org:8786", True),
                                                 ("tcp://127.0.0.1:8786", False),
                                                 ("local", False)])
def test_dask_on_another_machine_warns_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        address: str, warned: bool) -> None:
    from experiments.cli.main import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.toml").write_text(SPEC.format(seeds=1), encoding="utf-8")
    assert main(["batch", "spec.toml", "--dask", address, "--dry-run"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(lines) == (1 if warned else 0)
    if warned:
        assert "trust" in lines[0]


def test_two_runs_into_one_out_at_once_give_one_run(tmp_path: Path) -> None:
    """Two `run --out SAME` started together: whatever the timing, exactly one writes the
    directory (exit 0); the other stops with exit 2 (the directory is being written, or it
    exists), and the directory holds one whole run."""
    out = tmp_path / "o"
    procs = [subprocess.Popen(cli("run", "--steps", "6", "--out", str(out)), cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=DEADLINE_S), p.communicate()[1]) for p in procs]
    assert sorted(code for code, _ in results) == [0, 2], results
    (err,) = [e for code, e in results if code == 2]
    assert len(err.strip().splitlines()) == 1
    assert "being written by another run" in err or "already exists" in err
    assert json.loads((out / "manifest.json").read_text())["steps"] == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_two_batches_into_one_out_at_once_do_the_work_once(tmp_path: Path) -> None:
    """Two identical batches started together into one --out: whatever the timing, the runs
    are made once in all (the second is refused while the first runs, or finds them done)."""
    out = tmp_path / "out"
    procs = [start_batch(tmp_path, 6, out) for _ in range(2)]
    results = [(p.wait(timeout=10 * DEADLINE_S), *p.communicate()) for p in procs]
    ran = 0
    for code, stdout, stderr in results:
        assert code in (0, 2), stderr
        if code == 0:
            ran += int(stdout.split(" were already done, ")[1].split(" ran now")[0])
        else:
            assert "being written by another batch" in stderr
    assert ran == 6
    assert status(out) == "complete" and parts_done(out) == 6
