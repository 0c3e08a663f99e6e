"""Row sums of the price game in plain floats (`world.bertrand.compute_sum_like_numpy`): the
same double as numpy's `ndarray.sum`, so holding the game's weights as lists instead of
arrays cannot change a price."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from world.bertrand import compute_sum_like_numpy

FINITE = st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)
MIXED = st.one_of(FINITE, st.floats(0.0, 1e-9), st.sampled_from([0.0, -0.0, 1e300, -1e300]))


@settings(max_examples=400, deadline=None)
@given(rows=st.integers(1, 4).flatmap(
    lambda m: st.integers(1, 300).flatmap(
        lambda n: st.lists(st.lists(MIXED, min_size=n, max_size=n), min_size=m, max_size=m))))
def test_row_sums_equal_numpy_bit_for_bit(rows: list[list[float]]) -> None:
    """Floating-point addition is not associative, so a sum in another order is often off in
    its last bits (0.1 + 0.2 + 0.3 != 0.1 + (0.2 + 0.3)): only numpy's own order (pairwise,
    eight running sums) gives its double for every row length, short or long."""
    arr = np.array(rows, dtype=float)
    want = arr.sum(axis=1).tolist()
    got = [compute_sum_like_numpy(r) for r in rows]
    assert [np.float64(g).tobytes() for g in got] == [np.float64(v).tobytes() for v in want]
    assert np.float64(compute_sum_like_numpy(rows[0])).tobytes() == arr[0].sum().tobytes()


def test_order_matters_for_these_numbers() -> None:
    """The test above can fail: 1e16 + 1 + 1 ... summed left to right loses every 1, while
    numpy's eight running sums of a 16-term row keep some of them."""
    row = [1e16] + [1.0] * 15
    left_to_right = 0.0
    for v in row:
        left_to_right += v
    assert compute_sum_like_numpy(row) == float(np.array(row).sum())
    assert compute_sum_like_numpy(row) != left_to_right
