"""bench/seeds.py's reading: medians vehicles first, and "behind" as bench/solomon.py counts it."""

import json
import sys
from concurrent.futures import Future
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import seeds  # noqa: E402


def test_the_median_takes_vehicles_before_distance():
    assert seeds.median([(0, 1.0), (1, -5.0), (0, 3.0)]) == (0, 3.0)
    assert seeds.median([(1, -5.0), (1, -4.0), (0, 9.0)]) == (1, -5.0)


def test_the_median_of_an_even_count_is_the_lower_middle():
    assert seeds.median([(0, 2.0), (0, 1.0), (0, 4.0), (0, 3.0)]) == (0, 2.0)


def test_an_unlucky_seed_is_behind_in_its_own_cell_but_not_on_the_medians():
    results = {
        # hts's seed 0 is 2 points longer than PyVRP's seed 0; its other seeds are level
        "R101": {"hts": {0: (0, 2.5), 1: (0, 0.4), 2: (0, 0.5)},
                 "pyvrp": {0: (0, 0.5), 1: (0, 0.3), 2: (0, 0.6)}},
        # hts a vehicle fewer on its median; PyVRP's seed 2 a vehicle more than its others
        "RC203": {"hts": {0: (0, 1.6), 1: (1, -3.0), 2: (0, 1.4)},
                  "pyvrp": {0: (1, -2.0), 1: (1, -1.0), 2: (2, -5.0)}},
        # behind on every seed, so on the medians too
        "R204": {"hts": {0: (0, 2.3), 1: (0, 2.4), 2: (0, 2.5)},
                 "pyvrp": {0: (0, 0.8), 1: (0, 1.2), 2: (0, 1.1)}},
    }
    reading = seeds.read(results, [0, 1, 2])
    assert reading.behind_on_medians == ["R204"]
    assert reading.ahead_on_medians == ["RC203"]
    assert reading.behind_by_seed == {0: ["R101", "R204"], 1: ["R204"], 2: ["R204"]}
    # PyVRP seed 2 has a vehicle more than seeds 0 and 1 on RC203
    assert reading.pyvrp_behind_itself[(2, 0)] == 1 and reading.pyvrp_behind_itself[(0, 2)] == 0


def test_a_recorded_run_reads_back_and_an_invalid_plan_is_behind_anything():
    key = ("R101", "hts", 3, 60.0, "hts abc on pyvrp 0.14.1")
    line = seeds.record_line(key, (19, 1650.8, 0, 0))
    assert json.loads(line)["finished"]  # when it ended, for the reader of the file
    assert seeds.outcome_of((19, 1650.8, 0, 0), (19, 1650.8)) == (0, 0.0)
    assert seeds.outcome_of((18, 1500.0, 2, 0), (19, 1650.8)) == seeds.INVALID


def test_a_line_that_is_not_a_recorded_run_is_named(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text(seeds.record_line(("R101", "hts", 0, 60.0, "e"), (19, 1650.8, 0, 0)) + "\n"
                    + '{"instance": "R102", "solver": "hts"}\n')
    with pytest.raises(seeds.RecordError, match=r"line 2: not a recorded run \(no seed, time_limit"):
        seeds.load_records(path)
    path.write_text("R101 19 1650.8\n")
    with pytest.raises(seeds.RecordError, match="line 1"):
        seeds.load_records(path)
    assert seeds.load_records(tmp_path / "not yet.jsonl") == {}


class InProcessPool:
    """Stands in for the process pool: runs each task at once and remembers what it was given."""

    submitted: list = []

    def __init__(self, **_kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, task):
        InProcessPool.submitted.append(task[1:])
        future = Future()
        future.set_result(fn(task))
        return future


def test_a_recorded_reading_carries_on_where_it_stopped(tmp_path, monkeypatch, capsys):
    (tmp_path / "X101.txt").write_text("only its name is read here\n")
    monkeypatch.setattr(seeds, "SETS", {"solomon": tmp_path})
    monkeypatch.setattr(seeds, "best_known", lambda: {"x101": (3, 100.0)})
    monkeypatch.setattr(seeds, "ProcessPoolExecutor", InProcessPool)
    monkeypatch.setattr(seeds, "_task", lambda task: (3, 101.0, 0, 0) if task[1] == "hts" else (3, 104.0, 0, 0))
    InProcessPool.submitted = []
    engine = seeds.engines()
    record = tmp_path / "runs.jsonl"
    # seed 0 of both solvers was recorded in an earlier sitting; hts's seed 0 ran long there
    record.write_text(seeds.record_line(("X101", "hts", 0, 60.0, engine["hts"]), (3, 103.0, 0, 0)) + "\n"
                      + seeds.record_line(("X101", "pyvrp", 0, 60.0, engine["pyvrp"]), (3, 100.5, 0, 0)) + "\n"
                      # the same run of another engine is not this reading's
                      + seeds.record_line(("X101", "hts", 1, 60.0, "hts 000000000000 on pyvrp 0.1"), (2, 90.0, 0, 0)) + "\n")
    argv = ["seeds.py", "--instances", "X101", "--seeds", "0,1,2", "--time-limit", "60", "--record", str(record)]
    monkeypatch.setattr(sys, "argv", argv)
    seeds.main()
    assert sorted(InProcessPool.submitted) == [("hts", 1, 60.0), ("hts", 2, 60.0), ("pyvrp", 1, 60.0), ("pyvrp", 2, 60.0)]
    out = capsys.readouterr().out
    assert "2 of 6 runs read from" in out
    assert "| X101 | +3.00 / +1.00 / +1.00 | +1.00 | +0.50 / +4.00 / +4.00 | +4.00 | no |" in out
    assert len(seeds.load_records(record)) == 7  # the four new runs were appended

    # run again: everything is read, nothing is run
    InProcessPool.submitted = []
    seeds.main()
    assert InProcessPool.submitted == []
    assert "6 of 6 runs read from" in capsys.readouterr().out
