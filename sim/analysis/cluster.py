"""Simulations on Dask (``dask.distributed``): a local cluster of this machine's cores, or an existing cluster
reached through its scheduler's address. The only module that imports Dask.

Each job is one replication of one variant; its seed depends only on the scenario and the replication
(sim.engine.streams), so results are the same wherever and in whatever order the jobs run. Results are put back
in job order.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sim.analysis.experiment import replicate
from sim.analysis.facts import Facts
from sim.analysis.sweep import Executor, Job, OnDone
from sim.errors import CcsimError

CONNECT_TIMEOUT_S = 10
"""How long to wait for an existing cluster's scheduler before giving up."""


@contextmanager
def dask_executor(scheduler: str | None = None, workers: int | None = None,
                  processes: bool = True) -> Iterator[tuple[Executor, str]]:
    """Yield an executor running jobs on Dask, and a description of where they run. Without ``scheduler``: a
    local cluster of ``workers`` single-threaded worker processes (default: one per core; ``processes=False``
    runs them as threads of this process), closed when the block ends. With it (``tcp://HOST:PORT``): the
    cluster behind that scheduler, whose workers must have ccsim installed."""
    from distributed import Client, LocalCluster

    cluster: Any = None
    try:
        if scheduler is None:
            n = max(1, workers or os.cpu_count() or 1)
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=n, threads_per_worker=1, processes=processes, dashboard_address=None, memory_limit=0,
                silence_logs=logging.ERROR)
            client = Client(cluster)  # type: ignore[no-untyped-call]
            where = f"local Dask cluster, {n} worker{'s' if n > 1 else ''}"
        else:
            try:
                client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)  # type: ignore[no-untyped-call]
            except (OSError, TimeoutError, ValueError) as exc:
                raise CcsimError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({exc})") from None
            where = f"Dask cluster at {scheduler}"
    except BaseException:
        if cluster is not None:
            cluster.close()
        raise
    try:
        yield (lambda jobs, on_done: _execute(client, jobs, on_done)), where
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()


def _execute(client: Any, jobs: Sequence[Job], on_done: OnDone | None) -> list[tuple[Facts, int]]:
    """Submit every job; collect the results as they finish (driving ``on_done``), in job order."""
    from distributed import as_completed

    futures = client.map(replicate, [s for s, _ in jobs], [r for _, r in jobs], pure=False)
    position = {f.key: i for i, f in enumerate(futures)}
    out: list[tuple[Facts, int] | None] = [None] * len(jobs)
    try:
        finished = as_completed(futures, with_results=True)  # type: ignore[no-untyped-call]
        for done, (future, result) in enumerate(finished, start=1):
            out[position[future.key]] = result
            if on_done:
                on_done(done, result[1])
    except BaseException:
        client.cancel(futures)
        raise
    return [r for r in out if r is not None]
