"""Time integrals split exactly at interval boundaries (busy agents, waiting calls, backlogs). Pure numpy."""

from __future__ import annotations

import numpy as np


def spans_by_interval(starts: np.ndarray, ends: np.ndarray, keys: np.ndarray, n_keys: int, width: float,
                      n: int) -> np.ndarray:
    """[n, n_keys]: time that spans [start, end) of each key cover within each interval [j*width, (j+1)*width).

    O(number of spans), no sorting: a span's first and last intervals get their parts, the intervals in between
    a full ``width`` each (through a running sum). Time outside [0, n*width] is ignored.
    """
    horizon = n * width
    cells = n * n_keys
    s, e = np.clip(starts, 0.0, horizon), np.clip(ends, 0.0, horizon)
    js = np.minimum((s // width).astype(np.int64), n - 1)
    je = np.minimum((e // width).astype(np.int64), n - 1)
    same = js == je
    first = js * n_keys + keys
    area = np.zeros(cells)  # float even where no span stays within one interval (bincount of nothing is int)
    area += np.bincount(first[same], weights=(e - s)[same], minlength=cells)
    cross = ~same  # from here on only the spans that cross a boundary, each array freed when done with
    del same
    first_cross = first[cross]
    del first
    area += np.bincount(first_cross, weights=(js[cross] + 1) * width - s[cross], minlength=cells)
    del s, js
    last_cross = je[cross] * n_keys + keys[cross]
    area += np.bincount(last_cross, weights=e[cross] - je[cross] * width, minlength=cells)
    del e, je
    inside = np.bincount(first_cross + n_keys, minlength=cells + n_keys)[:cells] - \
        np.bincount(last_cross, minlength=cells)
    full = np.cumsum(inside.reshape(n, n_keys), axis=0)  # spans covering whole intervals
    return area.reshape(n, n_keys) + full * width
