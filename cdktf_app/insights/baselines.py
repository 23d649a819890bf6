"""Baselines and anomaly rules, each verdict explained (value, median, MAD, n, threshold).

Durations are log-normal and skewed, so a series is judged in log-seconds with robust statistics: the median
and the MAD (median absolute deviation) of the runs before, and the robust z-score

    z = 0.6745 * (log(value) - median) / MAD      (Iglewicz and Hoaglin's modified z-score)

which is about "how many standard deviations" for normal data but is not dragged by the outliers it looks for.
A run is judged only when its baseline holds at least MIN_SAMPLES runs; under that there is no verdict at all.

- duration: |z| > Z_THRESHOLD (4.0) for one run. Iglewicz and Hoaglin suggest 3.5 for one look at a sample;
  a job is judged on every run, hundreds of times, and at 3.5 the MAD of a 60-run baseline (itself a noisy
  estimate) gives about one false alarm per job and few hundred runs; at 4.0 the injected spikes (2.5x and more)
  are still all far beyond it.
- level_shift: the level moved and stays: SHIFT_RUNS runs in a row beyond the threshold on the same side, or an
  EWMA of the z-scores (lambda EWMA_LAMBDA) beyond its control limit EWMA_L * sqrt(lambda / (2 - lambda)), the
  way a slow drift that no single run shows is caught, confirmed when the median of the CONFIRM_RUNS runs from
  its onset is at least Z_THRESHOLD / 2 away (a few slow runs in a row are not a new level). The baseline then
  restarts from the shift (and waits for MIN_SAMPLES runs again): after a shift the old level is not normal.
  Until the new level has WINDOW runs its MAD is at least the old level's: durations spread in proportion to
  their level, so in log-seconds the spread carries over, and the MAD of 20 runs alone is a noisy estimate.
- failure_rate: of the last RATE_WINDOW runs, k failed where the baseline rate p (Laplace-smoothed over the runs
  before, failures of earlier flagged episodes left out) makes k or more failures less likely than RATE_P_VALUE
  (binomial tail), with k >= 3. The flag clears after CLEAR_AFTER clean runs in a row.
"""
from __future__ import annotations

import math
import statistics
from bisect import bisect_left, insort
from collections import deque
from datetime import datetime, timezone
from dataclasses import dataclass

Z_THRESHOLD = 4.0
MIN_SAMPLES = 20
WINDOW = 60            # the baseline is the last WINDOW accepted runs of the current level
SHIFT_RUNS = 3
EWMA_LAMBDA = 0.25
EWMA_L = 4.0
CONFIRM_RUNS = 8
SEASONAL_AFTER = 21 * 86400  # seconds of one level's history before runs are judged against their day type
MAD_FLOOR = 0.01       # log-seconds: ~1% — a perfectly regular job would otherwise make every jitter infinite
RATE_WINDOW = 10
RATE_P_VALUE = 1e-3
RATE_MIN_FAILURES = 3
CLEAR_AFTER = 5


@dataclass
class Point:
    run_id: str
    at: float
    value: float           # seconds (or seconds per changed resource for normalised Nexus phases)


@dataclass
class Verdict:
    run_id: str
    kind: str              # duration | level_shift | failure_rate
    at: float
    value: float
    median: float
    mad: float
    n: int
    threshold: float
    score: float
    explanation: str


@dataclass
class Band:
    """The baseline a point was judged against (for plots): median and the z-threshold band, in seconds."""

    run_id: str
    at: float
    value: float
    median: float | None
    low: float | None
    high: float | None


class Window:
    """The last WINDOW values, kept sorted as they come and go, so median and MAD need no sort per run."""

    def __init__(self, values: list[float] = ()):
        self.order: deque[float] = deque()
        self.sorted: list[float] = []
        for value in values:
            self.add(value)

    def __len__(self) -> int:
        return len(self.order)

    def add(self, value: float) -> None:
        self.order.append(value)
        insort(self.sorted, value)
        if len(self.order) > WINDOW:
            del self.sorted[bisect_left(self.sorted, self.order.popleft())]

    def robust(self) -> tuple[float, float]:
        """Median and MAD (at least MAD_FLOOR); the absolute deviations come out of the sorted values in order,
        walking outwards from the median."""
        values, n = self.sorted, len(self.sorted)
        median = (values[(n - 1) // 2] + values[n // 2]) / 2
        below, above = bisect_left(values, median) - 1, bisect_left(values, median)
        deviations = []
        while len(deviations) < n // 2 + 1:
            if above < n and (below < 0 or values[above] - median <= median - values[below]):
                deviations.append(values[above] - median)
                above += 1
            else:
                deviations.append(median - values[below])
                below -= 1
        mad = deviations[n // 2] if n % 2 else (deviations[n // 2 - 1] + deviations[n // 2]) / 2
        return median, max(mad, MAD_FLOOR)


def is_weekend(epoch: float) -> bool:
    return datetime.fromtimestamp(epoch, timezone.utc).weekday() >= 5


class Level:
    """The runs of the current level: all of them, and apart by day type for the weekly rhythm."""

    def __init__(self, points: list[Point] = ()):
        self.all, self.by_day_type = Window(), {False: Window(), True: Window()}
        self.since = points[0].at if points else None
        for point in points:
            self.add(point)

    def __len__(self) -> int:
        return len(self.all)

    def add(self, point: Point) -> None:
        x = math.log(max(point.value, 1e-3))
        self.since = point.at if self.since is None else self.since
        self.all.add(x)
        self.by_day_type[is_weekend(point.at)].add(x)

    def robust(self, at: float) -> tuple[float, float, bool]:
        """Median and MAD to judge a run at `at` by, and whether the median is its day type's: once the level
        has SEASONAL_AFTER of history and MIN_SAMPLES runs of that day type (Datadog's weekly seasonality
        waits for three weeks too). The MAD stays that of all runs (the day types' own are of fewer runs)."""
        median, mad = self.all.robust()
        same = self.by_day_type[is_weekend(at)]
        if at - self.since >= SEASONAL_AFTER and len(same) >= MIN_SAMPLES:
            return same.robust()[0], mad, True
        return median, mad, False


def robust_z(value: float, median: float, mad: float) -> float:
    return 0.6745 * (value - median) / mad


def duration_verdicts(points: list[Point], unit: str = "s") -> tuple[list[Verdict], list[Band]]:
    """Spikes and level shifts in a series (oldest first); also the band each point was judged in."""
    verdicts: list[Verdict] = []
    bands: list[Band] = []
    baseline = Level()
    pending: list[tuple] = []  # (point, z, median, mad, n, seasonal) beyond the threshold, side not yet known
    ewma = 0.0
    excursion: list[tuple[int, float]] = []                     # (index, z) of the current same-signed run
    limit = EWMA_L * math.sqrt(EWMA_LAMBDA / (2 - EWMA_LAMBDA))

    def settle_pending() -> None:
        for point, z, median, mad, n, seasonal in pending:
            verdicts.append(_spike(point, z, median, mad, n, unit, seasonal))
        pending.clear()

    def onset_of(excursion: list[tuple[int, float]]) -> int:
        """Where the new level starts: the split of the excursion (runs on one side of the old median) that best
        explains it as old level then new level, i.e. the k maximising (runs from k) x (mean z from k)^2; the
        least-squares change point when the old level is known."""
        best, best_score = excursion[-1][0], -1.0
        for position, (index_of, _) in enumerate(excursion):
            tail = [z_of for _, z_of in excursion[position:]]
            score = len(tail) * (sum(tail) / len(tail)) ** 2
            if score > best_score:
                best, best_score = index_of, score
        return best

    def shift(onset: int, median: float, mad: float, n: int, reason: str) -> Window:
        shifted = {point.run_id for point in points[onset:index + 1]}  # spikes since the onset: the new level
        verdicts[:] = [v for v in verdicts if not (v.kind == "duration" and v.run_id in shifted)]
        pending.clear()
        verdicts.append(_shift(points[onset], points[onset:index + 1], median, mad, n, unit, reason))
        return Level(points[onset:index + 1])

    carried_mad = 0.0
    for index, point in enumerate(points):
        x = math.log(max(point.value, 1e-3))
        n = len(baseline)
        if n < MIN_SAMPLES:
            bands.append(Band(point.run_id, point.at, point.value, None, None, None))
            baseline.add(point)
            continue
        median, mad, seasonal = baseline.robust(point.at)
        if n < WINDOW:
            mad = max(mad, carried_mad)
        spread = Z_THRESHOLD * mad / 0.6745
        bands.append(Band(point.run_id, point.at, point.value, math.exp(median), math.exp(median - spread),
                          math.exp(median + spread)))
        z = robust_z(x, median, mad)
        same_side = excursion and (z > 0) == (excursion[-1][1] > 0)
        excursion = [*excursion, (index, z)] if same_side else [(index, z)]
        if abs(z) > Z_THRESHOLD:
            if pending and (pending[-1][1] > 0) != (z > 0):
                settle_pending()
            pending.append((point, z, median, mad, n, seasonal))
            if len(pending) == SHIFT_RUNS:
                baseline = shift(onset_of(excursion), median, mad, n,
                                 f"{SHIFT_RUNS} runs in a row beyond ±{Z_THRESHOLD}")
                ewma, excursion, carried_mad = 0.0, [], mad
            continue
        settle_pending()
        ewma = EWMA_LAMBDA * z + (1 - EWMA_LAMBDA) * ewma
        if abs(ewma) > limit:
            onset = onset_of(excursion)
            if _confirmed(points, onset, median, mad):
                baseline = shift(onset, median, mad, n, f"EWMA of z {ewma:+.2f} beyond ±{limit:.2f}")
                ewma, excursion, carried_mad = 0.0, [], mad
                continue
            ewma = 0.0  # a drift that did not hold: the level did not move
        baseline.add(point)
    settle_pending()
    return verdicts, bands


def _confirmed(points: list[Point], onset: int, median: float, mad: float) -> bool:
    """An EWMA alarm is a level shift only if the level holds: the median of the CONFIRM_RUNS runs from its onset
    is at least half the threshold away from the baseline (a few slow runs in a row pull an EWMA too)."""
    following = [math.log(max(point.value, 1e-3)) for point in points[onset:onset + CONFIRM_RUNS]]
    return len(following) >= SHIFT_RUNS and abs(robust_z(statistics.median(following), median, mad)) > Z_THRESHOLD / 2


def _spike(point: Point, z: float, median: float, mad: float, n: int, unit: str, seasonal: bool) -> Verdict:
    day_type = f" ({'weekend' if is_weekend(point.at) else 'weekday'} runs)" if seasonal else ""
    return Verdict(point.run_id, "duration", point.at, point.value, math.exp(median), mad, n, Z_THRESHOLD,
                   round(z, 2), f"{point.value:.1f}{unit} against a median of {math.exp(median):.1f}{unit}{day_type} "
                   f"(MAD {mad:.3f} in log-{unit}, n={n}): robust z {z:+.1f} is beyond ±{Z_THRESHOLD}")


def _shift(onset: Point, run: list[Point], median: float, mad: float, n: int, unit: str, reason: str) -> Verdict:
    new_level = statistics.median(point.value for point in run)
    return Verdict(onset.run_id, "level_shift", onset.at, new_level, math.exp(median), mad, n, Z_THRESHOLD,
                   round(robust_z(math.log(max(new_level, 1e-3)), median, mad), 2),
                   f"level moved from a median of {math.exp(median):.1f}{unit} to {new_level:.1f}{unit} from "
                   f"this run on (MAD {mad:.3f} in log-{unit}, n={n}): {reason}; baseline restarted here")


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))


def failure_rate_verdicts(outcomes: list[tuple[Point, bool]]) -> list[Verdict]:
    """Windows of failures far above the baseline rate (outcomes oldest first, True = failed); one verdict per
    episode, which clears after CLEAR_AFTER clean runs in a row."""
    verdicts = []
    flagged, clean = False, 0
    prior_runs = prior_failures = 0
    episode: set[int] = set()  # failures of flagged episodes: the anomaly, kept out of the baseline rate
    for index, (point, failed) in enumerate(outcomes):
        start = max(0, index - RATE_WINDOW + 1)
        if start > 0 and start - 1 not in episode:
            prior_runs += 1
            prior_failures += outcomes[start - 1][1]
        if flagged:
            clean = 0 if failed else clean + 1
            flagged = clean < CLEAR_AFTER
            if failed:
                episode.add(index)
            continue
        if prior_runs < MIN_SAMPLES or not failed:
            continue
        window = [f for _, f in outcomes[start:index + 1]]
        k, n, rate = sum(window), len(window), (prior_failures + 1) / (prior_runs + 2)
        p_value = binomial_tail(k, n, rate)
        if k >= RATE_MIN_FAILURES and p_value < RATE_P_VALUE:
            flagged, clean = True, 0
            episode |= {i for i in range(start, index + 1) if outcomes[i][1]}
            verdicts.append(Verdict(point.run_id, "failure_rate", point.at, k / n, rate, 0.0, prior_runs,
                                    RATE_P_VALUE, p_value, f"{k} of the last {n} runs failed against a "
                                    f"baseline failure rate of {rate:.1%} (n={prior_runs}): P(>= {k} failures) = "
                                    f"{p_value:.1e} < {RATE_P_VALUE:g}; clears after {CLEAR_AFTER} clean runs"))
    return verdicts
