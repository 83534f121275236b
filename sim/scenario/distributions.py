"""Duration distributions: declared in scenario files, sampled in numpy blocks.

Each class is both the schema of its YAML form (``{dist: lognormal, mean: 5min, cv: 0.9}``) and the sampler:
``sample(rng, n)`` returns ``n`` draws in seconds from an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, Field, model_validator

from sim.scenario.types import CV, STRICT, Duration, PositiveDuration, Rank, Weight


class _Dist(BaseModel):
    model_config = STRICT

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def var(self) -> float:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError


class Exponential(_Dist):
    """Exponential with the given mean (memoryless; the Erlang C/A assumption)."""

    dist: Literal["exponential"]
    mean_: PositiveDuration = Field(alias="mean")

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return self.mean_**2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean_, n)


class _MeanCV(_Dist):
    """A distribution given by its mean and coefficient of variation."""

    dist: str  # each family narrows it to its own name; declared first so files and the schema read 'dist' first
    mean_: PositiveDuration = Field(alias="mean")
    cv: CV

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return (self.cv * self.mean_) ** 2


class LogNormal(_MeanCV):
    """Lognormal given by its mean and coefficient of variation (typical of handle times)."""

    dist: Literal["lognormal"]

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mean_) - sigma2 / 2, math.sqrt(sigma2), n)


class Gamma(_MeanCV):
    """Gamma given by its mean and coefficient of variation."""

    dist: Literal["gamma"]

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_ / shape, n)


class Erlang(_Dist):
    """Erlang-k (sum of k exponential phases) with the given mean."""

    dist: Literal["erlang"]
    mean_: PositiveDuration = Field(alias="mean")
    k: Rank

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return self.mean_**2 / self.k

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(float(self.k), self.mean_ / self.k, n)


class Deterministic(_Dist):
    """Always the same value."""

    dist: Literal["deterministic"]
    value: Duration

    @property
    def mean(self) -> float:
        return self.value

    @property
    def var(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)


class Empirical(_Dist):
    """Draws one of the listed values, with optional weights (e.g. measured handle times)."""

    dist: Literal["empirical"]
    values: list[Duration] = Field(min_length=1)
    weights: list[Weight] | None = None

    @model_validator(mode="after")
    def _check_weights(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"weights has {len(self.weights)} entries but values has {len(self.values)}")
            if sum(self.weights) <= 0:
                raise ValueError("weights must have a positive sum")
        return self

    def _probabilities(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, dtype=float)
        return np.asarray(w / w.sum())

    @property
    def mean(self) -> float:
        return float(np.dot(self._probabilities(), self.values))

    @property
    def var(self) -> float:
        p, v = self._probabilities(), np.asarray(self.values)
        return float(np.dot(p, (v - np.dot(p, v)) ** 2))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=n, p=self._probabilities())


Distribution = Annotated[
    Exponential | LogNormal | Gamma | Erlang | Deterministic | Empirical, Field(discriminator="dist")
]
"""Any duration distribution, chosen in the file by its ``dist`` key."""


def _takes_time(dist: _Dist) -> _Dist:
    if dist.mean <= 0:
        raise ValueError("must be longer than 0s on average: a call that comes back at once could come back "
                         "forever at the same instant")
    return dist


Delay = Annotated[Distribution, AfterValidator(_takes_time)]
"""The time until a caller calls again (a redial, a repeat): never 0s on average, or the run could loop."""
