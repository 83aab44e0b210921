"""bench/seeds.py's reading: medians vehicles first, and "behind" as bench/solomon.py counts it."""

import sys
from pathlib import Path

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
