"""A measuring child: peak memory reading, and a failing window kept as a result."""

import io
import json
import resource

import pytest

from benchmarks import child
from benchmarks.plan import Plan, WindowPlan


def fake_status(text):
    def opener(path, *args, **kwargs):
        assert path == "/proc/self/status"
        return io.StringIO(text)

    return opener


def test_peak_memory_is_vmhwm_in_mebibytes(monkeypatch):
    status = "Name:\tpython\nVmPeak:\t 999999 kB\nVmHWM:\t  204800 kB\nVmRSS:\t 1024 kB\n"
    monkeypatch.setattr(child, "open", fake_status(status), raising=False)
    assert child._max_rss_mb() == pytest.approx(200.0)


def test_without_proc_peak_memory_falls_back_to_ru_maxrss(monkeypatch):
    def no_proc(*args, **kwargs):
        raise FileNotFoundError("/proc/self/status")

    class Usage:
        ru_maxrss = 51200  # KiB on Linux

    monkeypatch.setattr(child, "open", no_proc, raising=False)
    monkeypatch.setattr(resource, "getrusage", lambda who: Usage())
    assert child._max_rss_mb() == pytest.approx(50.0)


def test_peak_memory_of_this_process_is_read_from_proc():
    with open("/proc/self/status", encoding="ascii") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    assert child._max_rss_mb() == pytest.approx(hwm / 1024, rel=0.05)


def window(kind, seed):
    return WindowPlan(f"10-{kind}-{seed}", 10, kind, seed, None, "/nowhere", "bench", "s", "e")


def plan():
    windows = [window("schema_drop", 1), window("none", 2)]
    return Plan("ref.csv", "base", "out", ["a"], [True], windows)


def fake_tool(tool, plan):
    def run(w):
        if w.kind == "schema_drop":
            raise ValueError("all-empty column " + "x" * 500)
        return 10, {"parse_s": 0.5}, {"detected": False}

    return run, {"version": "1"}


def test_a_window_that_raises_is_recorded_and_the_others_still_run(monkeypatch):
    monkeypatch.setattr(child, "_setup", fake_tool)
    result = child.measure("evidently", plan())
    failed, ok = result["windows"]
    assert failed["error"].startswith("ValueError: all-empty column")
    assert len(failed["error"]) == 300
    assert (failed["rows"], failed["phases"], failed["outcome"]) == (0, {}, {"detected": False})
    assert failed["kind"] == "schema_drop"
    assert ok["error"] is None
    assert (ok["rows"], ok["phases"], ok["id"]) == (10, {"parse_s": 0.5}, "10-none-2")
    assert result["facts"] == {"version": "1"}
    assert result["max_rss_mb"] >= result["rss_after_setup_mb"] > 0


def test_main_writes_the_measurements(monkeypatch, tmp_path):
    monkeypatch.setattr(child, "_setup", fake_tool)
    plan_path = plan().dump(tmp_path / "plan.json")
    assert child.main(["floor", str(plan_path), str(tmp_path / "out.json")]) == 0
    written = json.loads((tmp_path / "out.json").read_text())
    assert written["tool"] == "floor"
    assert [w["id"] for w in written["windows"]] == ["10-schema_drop-1", "10-none-2"]


def test_an_unknown_tool_is_refused():
    with pytest.raises(SystemExit, match="unknown tool"):
        child._setup("nannyml", plan())


def test_one_thread_pins_the_measuring_process_to_one_cpu(monkeypatch, tmp_path):
    monkeypatch.setattr(child, "_setup", fake_tool)
    pinned = []
    monkeypatch.setattr(child.os, "sched_getaffinity", lambda _pid: {1, 3})
    monkeypatch.setattr(child.os, "sched_setaffinity", lambda _pid, cpus: pinned.append(cpus))
    plan_path = plan().dump(tmp_path / "plan.json")
    out = tmp_path / "out.json"
    assert child.main(["driftgate", str(plan_path), str(out), "--one-thread"]) == 0
    assert pinned == [{1}]
    assert json.loads(out.read_text())["pinned_cpu"] == 1
    assert all(value == "1" for value in child.ONE_THREAD_ENV.values())
    assert "OMP_NUM_THREADS" in child.ONE_THREAD_ENV
