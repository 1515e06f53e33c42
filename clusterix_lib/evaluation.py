"""Did anything change after the project started? Difference-in-differences and interrupted time series.

Thin, tested adapters around statsmodels (indicators.md §6: re-use the estimators, build the
panels and defaults regional analysts need):

* :func:`comparison_group` chooses the comparison regions by a **documented rule**, never by hand:
  for each partner unit, the ``k`` EU-27 NUTS 2 regions (outside every partner territory) whose
  outcome before the start had the most similar **level and trend** (mean and least-squares
  slope over the pre-period, each standardised by its spread across the candidates; Euclidean
  distance; ties by code). Candidates need at least ``min_pre`` observations before and
  ``min_post`` after the start.
* :func:`did` estimates :math:`y_{it} = \\alpha_i + \\lambda_t + \\beta\\,D_{it} + \\varepsilon_{it}`
  (two-way fixed effects; :math:`D_{it}` = partner unit after the start) by OLS with standard
  errors clustered by partner region (a partner represented by several NUTS 2 units is one
  cluster), and returns the caveats in plain words with the number.
* :func:`event_study` gives the year-by-year differences relative to the year before the start
  and a joint test that the pre-start differences are zero (the pre-trend check).
* :func:`placebo_did` is the inference for **one** partner region, where clustered errors are
  meaningless (one treated cluster): the same estimate with each comparison region in turn
  pretending to be the partner; the rank of the real estimate gives a permutation p-value.
* :func:`interrupted_time_series`: segmented regression
  :math:`y_t = b_0 + b_1 (t - t_0) + b_2\\,P_t + b_3 (t - t_0) P_t` with Newey-West (HAC)
  standard errors, for a monitored indicator or a region's own outcome series.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusterix_lib import nuts
from clusterix_lib.errors import ClusterixError, ParameterError, RegionError
from clusterix_lib.wording import counted

__all__ = [
    "DiDResult",
    "ITSResult",
    "PlaceboResult",
    "comparison_group",
    "did",
    "did_panel",
    "estimates_table",
    "evaluation_units",
    "event_study",
    "group_means",
    "interrupted_time_series",
    "outcome_label",
    "placebo_did",
    "plot_event_study",
    "plot_group_means",
    "plot_its",
    "policy_evaluation_targets",
]

START = 2016
#: 2011-2019: the extract's 2020 R&D figures cover only about 30 regions
YEARS = tuple(range(2011, 2020))
#: fewer points than this after an interruption get an explicit caveat naming their number
FEW_POST = 6


def outcome_label(outcome: str, specs: pd.DataFrame | None = None) -> str:
    """The readable label and unit of an indicator code, ``"label (unit)"``; the code if unknown.

    Parameters
    ----------
    outcome
        Indicator code of :func:`clusterix_lib.datasets.indicators`, e.g. ``"berd_pc_gdp"``.
    specs
        Table indexed by indicator with ``label`` and ``unit`` (default:
        :func:`clusterix_lib.datasets.indicator_specs`).

    Examples
    --------
    >>> outcome_label("berd_pc_gdp")
    'R&D expenditure of business enterprises (BERD) (% of GDP)'
    >>> outcome_label("no_such_code")
    'no_such_code'
    """
    if specs is None:
        from clusterix_lib import datasets

        specs = datasets.indicator_specs()
    if outcome not in specs.index:
        return outcome
    label, unit = specs.loc[outcome, "label"], specs.loc[outcome, "unit"]
    return f"{label} ({unit})" if isinstance(unit, str) and unit else str(label)


# ----------------------------------------------------------------------------------------------
# Units and comparison group
# ----------------------------------------------------------------------------------------------


def _outcome(indicators: pd.DataFrame, outcome: str, years: Sequence[int]) -> pd.DataFrame:
    if outcome not in set(indicators["indicator"]):
        raise ParameterError(
            f"unknown outcome {outcome!r}",
            hint=f"use one of {', '.join(sorted(set(indicators['indicator'])))}",
        )
    d = indicators[(indicators["indicator"] == outcome) & indicators["value"].notna() & indicators["year"].isin(years)]
    return d[["geo", "year", "value"]].rename(columns={"geo": "unit", "year": "time", "value": "y"})


def _counts(d: pd.DataFrame, start: int) -> pd.DataFrame:
    c = d.assign(post=d["time"] >= start).groupby(["unit", "post"]).size().unstack(fill_value=0)
    return c.reindex(columns=[False, True], fill_value=0).rename(columns={False: "n_pre", True: "n_post"})


def evaluation_units(
    regions: Iterable[str],
    indicators: pd.DataFrame,
    *,
    outcome: str = "berd_pc_gdp",
    start: int = START,
    years: Sequence[int] = YEARS,
    min_pre: int = 3,
    min_post: int = 2,
) -> pd.DataFrame:
    """The units (regions with outcome data) standing for each partner region.

    A region with at least ``min_pre`` observations before ``start`` and ``min_post`` from it
    stands for itself; otherwise the regions standing for it in the statistics (a NUTS 3 region
    by its NUTS 2 region, a NUTS 1 region by its NUTS 2 regions) if they qualify. Returns
    ``region, unit, cluster, note`` -- ``unit`` empty (and a note saying why) where none qualifies.
    """
    from clusterix_lib.profile import profile_territory

    d = _outcome(indicators, outcome, years)
    c = _counts(d, start)
    ok = set(c.index[(c["n_pre"] >= min_pre) & (c["n_post"] >= min_post)])
    rows = []
    for code in dict.fromkeys(regions):
        code = nuts.validate_region(code)
        if code in ok:
            rows.append({"region": code, "unit": code, "cluster": code, "note": ""})
            continue
        try:
            t = profile_territory(code, ok)
        except RegionError:
            have = c.loc[code] if code in c.index else None
            why = (
                f"{int(have['n_pre'])} observations before {start} and {int(have['n_post'])} from {start}"
                if have is not None
                else "no observations"
            )
            rows.append(
                {
                    "region": code,
                    "unit": "",
                    "cluster": code,
                    "note": f"left out: {why} (needs {min_pre} before and {min_post} after)",
                }
            )
            continue
        for u in t.stats_codes:
            rows.append({"region": code, "unit": u, "cluster": code, "note": t.note})
    return pd.DataFrame(rows, columns=["region", "unit", "cluster", "note"])


def _pre_features(d: pd.DataFrame, start: int) -> pd.DataFrame:
    """Mean and least-squares slope per unit before ``start`` (grouped sums, all units at once)."""
    pre = d[d["time"] < start].copy()
    g = pre.groupby("unit")
    pre["dt"] = pre["time"] - g["time"].transform("mean")
    pre["dy"] = pre["y"] - g["y"].transform("mean")
    pre["sxy"] = pre["dt"] * pre["dy"]
    pre["sxx"] = pre["dt"] ** 2
    f = pre.groupby("unit").agg(level=("y", "mean"), sxy=("sxy", "sum"), sxx=("sxx", "sum"))
    with np.errstate(invalid="ignore", divide="ignore"):
        f["slope"] = np.where(f["sxx"] > 0, f["sxy"] / f["sxx"], np.nan)
    return f[["level", "slope"]]


def comparison_group(
    indicators: pd.DataFrame,
    treated: Iterable[str],
    *,
    outcome: str = "berd_pc_gdp",
    k: int = 3,
    start: int = START,
    years: Sequence[int] = YEARS,
    countries: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    min_pre: int = 3,
    min_post: int = 2,
) -> pd.DataFrame:
    """The ``k`` nearest comparison regions of each treated unit (rule in the module docstring).

    ``exclude``: further codes whose territory must not serve as comparison (e.g. every
    consortium region, also those left out of the estimation); a candidate overlapping any
    treated or excluded code (one's code a prefix of the other's) is left out.

    Returns
    -------
    DataFrame ``treated, control, distance, neighbour`` (1 = nearest), plus the pre-period
    ``level`` and ``slope`` of the control.

    Examples
    --------
    >>> ind = pd.DataFrame({"indicator": "y", "geo": np.repeat(["AT12", "AT13", "CZ01", "DE11"], 4),
    ...     "year": [2013, 2014, 2016, 2017] * 4, "value": [1, 1.1, 1, 1, 2, 2.2, 2, 2, 1.2, 1.3, 1, 1, 5, 6, 5, 5]})
    >>> comparison_group(ind, ["AT12"], outcome="y", k=1, min_pre=2, countries=["AT", "CZ", "DE"])["control"].tolist()
    ['CZ01']
    """
    from clusterix_lib.profile import country_group

    treated = list(dict.fromkeys(treated))
    if k < 1:
        raise ParameterError(f"k must be at least 1, not {k}")
    d = _outcome(indicators, outcome, years)
    c = _counts(d, start)
    countries = list(countries) if countries is not None else country_group("EU27_2020")
    regions = nuts.load_regions()
    nuts2 = set(regions.loc[regions["in_2021"].astype(bool) & (regions["level"] == 2), "code"])
    blocked = [*treated, *exclude]
    cand = [
        u
        for u in c.index
        if len(u) == 4
        and (u in nuts2 or not len(nuts2))
        and u[:2] in countries
        and "ZZ" not in u
        and c.at[u, "n_pre"] >= min_pre
        and c.at[u, "n_post"] >= min_post
        and not any(u.startswith(b) or b.startswith(u) for b in blocked)
    ]
    if not cand:
        raise ClusterixError(
            "no comparison region qualifies",
            where=f"outcome {outcome}, {min_pre} observations before {start} and {min_post} after required",
            hint="lower min_pre/min_post or choose another outcome",
        )
    f = _pre_features(d, start)
    missing = [t for t in treated if t not in f.index]
    if missing:
        raise ClusterixError(
            f"no outcome data before {start} for {', '.join(missing)}",
            hint="choose another outcome or leave these regions out",
        )
    fc = f.loc[cand].dropna()
    sd = fc.std(ddof=1).replace(0, 1.0)
    zc = ((fc - fc.mean()) / sd).to_numpy()
    zt = ((f.loc[treated] - fc.mean()) / sd).to_numpy()
    dist = np.sqrt(np.nansum((zt[:, None, :] - zc[None, :, :]) ** 2, axis=2))  # (treated, candidates)
    codes = fc.index.to_numpy()
    order = np.lexsort((np.broadcast_to(codes, dist.shape), dist), axis=1)[:, :k]
    rows = pd.DataFrame(
        {
            "treated": np.repeat(treated, order.shape[1]),
            "control": codes[order].ravel(),
            "distance": np.take_along_axis(dist, order, axis=1).ravel(),
            "neighbour": np.tile(np.arange(1, order.shape[1] + 1), len(treated)),
        }
    )
    return rows.merge(fc, left_on="control", right_index=True).reset_index(drop=True)


def did_panel(
    indicators: pd.DataFrame,
    units: pd.DataFrame,
    controls: Iterable[str],
    *,
    outcome: str = "berd_pc_gdp",
    start: int = START,
    years: Sequence[int] = YEARS,
) -> pd.DataFrame:
    """The long panel for :func:`did`: ``unit, cluster, time, y, treated, post, D, rel_time``.

    ``units``: treated units with their cluster (:func:`evaluation_units`); ``controls``:
    comparison regions (each its own cluster). Only observed years enter (no filling).
    """
    d = _outcome(indicators, outcome, years)
    tu = units[units["unit"] != ""][["unit", "cluster"]].drop_duplicates("unit")
    cu = pd.DataFrame({"unit": list(dict.fromkeys(controls))})
    cu = cu[~cu["unit"].isin(tu["unit"])].assign(cluster=lambda x: x["unit"])
    who = pd.concat([tu.assign(treated=1), cu.assign(treated=0)], ignore_index=True)
    p = d.merge(who, on="unit")
    p["post"] = (p["time"] >= start).astype(int)
    p["D"] = p["treated"] * p["post"]
    p["rel_time"] = p["time"] - start
    return p.sort_values(["treated", "unit", "time"], ascending=[False, True, True]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# Estimation
# ----------------------------------------------------------------------------------------------


@dataclass
class DiDResult:
    """A difference-in-differences estimate with its uncertainty and caveats in plain words."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n_obs: int
    n_units: int
    n_treated_units: int
    n_clusters: int
    n_treated_clusters: int
    outcome: str
    caveats: list[str] = field(default_factory=list)
    model: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "model"}


def _fit_twfe(formula: str, panel: pd.DataFrame, cluster: str):
    import statsmodels.formula.api as smf

    groups = pd.factorize(panel[cluster])[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few clusters: statsmodels warns, the caveats say it in words
        return smf.ols(formula, data=panel).fit(cov_type="cluster", cov_kwds={"groups": groups})


def _gaps_note(panel: pd.DataFrame) -> str | None:
    n_years = panel["time"].nunique()
    per = panel.groupby("unit")["time"].nunique()
    thin = sorted(per.index[per < n_years])
    if not thin:
        return None
    shown = ", ".join(thin[:8]) + (f" and {len(thin) - 8} more" if len(thin) > 8 else "")
    return (
        f"Some regions have no figure for some years ({shown}; several countries survey R&D only every other year). "
        "Those years are left out, not filled in."
    )


def did(panel: pd.DataFrame, *, outcome: str = "", alpha: float = 0.05) -> DiDResult:
    """Two-way fixed-effects difference-in-differences with errors clustered by partner region.

    ``panel`` from :func:`did_panel`. The estimate is the coefficient of ``D`` in
    ``y ~ D + C(unit) + C(time)`` fitted by :func:`statsmodels.formula.api.ols` with
    ``cov_type="cluster"`` on the ``cluster`` column.
    """
    _check_panel(panel)
    res = _fit_twfe("y ~ D + C(unit) + C(time)", panel, "cluster")
    lo, hi = res.conf_int(alpha).loc["D"]
    n_tc = panel.loc[panel["treated"] == 1, "cluster"].nunique()
    n_c = panel["cluster"].nunique()
    out = DiDResult(
        estimate=float(res.params["D"]),
        se=float(res.bse["D"]),
        ci_low=float(lo),
        ci_high=float(hi),
        p_value=float(res.pvalues["D"]),
        n_obs=int(res.nobs),
        n_units=int(panel["unit"].nunique()),
        n_treated_units=int(panel.loc[panel["treated"] == 1, "unit"].nunique()),
        n_clusters=int(n_c),
        n_treated_clusters=int(n_tc),
        outcome=outcome,
        model=res,
    )
    out.caveats = _caveats(panel, n_tc, n_c)
    return out


def _check_panel(panel: pd.DataFrame) -> None:
    need = {"unit", "cluster", "time", "y", "treated", "post", "D"}
    missing = need - set(panel.columns)
    if missing:
        raise ParameterError(
            f"the panel lacks the column(s) {', '.join(sorted(missing))}", hint="build it with did_panel"
        )
    t = panel[panel["treated"] == 1]
    c = panel[panel["treated"] == 0]
    for name, part in (("partner", t), ("comparison", c)):
        if part.empty or part["post"].nunique() < 2:
            raise ClusterixError(
                f"the {name} regions need observations both before and after the start",
                where=f"{len(part)} {name} rows",
                hint="choose an outcome with data on both sides of the start year",
            )


def _caveats(panel: pd.DataFrame, n_treated_clusters: int, n_clusters: int) -> list[str]:
    start = int(panel.loc[panel["post"] == 1, "time"].min())
    out = [
        "The partner regions chose to join the project; they are not a random sample. The comparison regions "
        f"resemble them only in the level and trend of this outcome before {start}, not in everything else.",
        "The project is one influence among many: the same regions received ERDF and national support and "
        "followed the business cycle. A difference after the start is not proof that the project caused it.",
        "The outcome is measured for the whole region, while an instrument reaches a small part of its economy: "
        "a real effect may be too small to show up, so 'no significant difference' does not mean 'no effect'.",
        "R&D responds to policy with a lag of years; the years after the start may be too few to see it.",
    ]
    if n_treated_clusters < 10 or n_clusters < 30:
        out.append(
            f"Only {counted(n_treated_clusters, 'partner region')} and {n_clusters} regions in all: standard errors "
            "clustered on so few regions are unreliable. Read the interval as indicative."
        )
    gaps = _gaps_note(panel)
    if gaps:
        out.append(gaps)
    return out


def event_study(panel: pd.DataFrame, *, ref: int | None = None, alpha: float = 0.05) -> tuple[pd.DataFrame, float]:
    """Year-by-year partner-minus-comparison differences relative to the year ``ref``.

    ``y ~ sum_t ev_t + C(unit) + C(time)`` with ``ev_t`` = partner unit in year t (t != ref,
    default the last year before the start), clustered as in :func:`did`. Returns the table
    ``time, rel_time, coef, se, ci_low, ci_high`` (``ref`` with 0) and the p-value of the joint
    Wald test that all pre-start coefficients are zero (NaN with fewer than one pre-start year).
    """
    _check_panel(panel)
    start = int(panel.loc[panel["post"] == 1, "time"].min())
    years = sorted(panel["time"].unique())
    ref = ref if ref is not None else max(t for t in years if t < start)
    p = panel.copy()
    terms = []
    for t in years:  # years: one dummy column each (the design, not a loop over estimations)
        if t == ref:
            continue
        name = f"ev_{t}"
        p[name] = ((p["treated"] == 1) & (p["time"] == t)).astype(int)
        if p[name].any():
            terms.append(name)
    res = _fit_twfe("y ~ " + " + ".join([*terms, "C(unit)", "C(time)"]), p, "cluster")
    ci = res.conf_int(alpha)
    rows = [{"time": ref, "coef": 0.0, "se": 0.0, "ci_low": 0.0, "ci_high": 0.0}]
    for name in terms:
        rows.append(
            {
                "time": int(name[3:]),
                "coef": float(res.params[name]),
                "se": float(res.bse[name]),
                "ci_low": float(ci.loc[name, 0]),
                "ci_high": float(ci.loc[name, 1]),
            }
        )
    table = pd.DataFrame(rows).sort_values("time").reset_index(drop=True)
    table["rel_time"] = table["time"] - start
    pre = [n for n in terms if int(n[3:]) < start]
    pre_p = float("nan")
    if pre:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            test = res.wald_test(", ".join(f"{n} = 0" for n in pre), scalar=True)
        pre_p = float(np.asarray(test.pvalue))
    return table[["time", "rel_time", "coef", "se", "ci_low", "ci_high"]], pre_p


def group_means(panel: pd.DataFrame, *, demean: bool = True) -> pd.DataFrame:
    """Mean outcome of partner and comparison units by year (the pre-trend plot's data).

    ``demean=True`` first subtracts each unit's own pre-start mean, so that a year in which some
    units publish no figure (biennial surveys) does not shift the group mean by composition.

    Returns ``time, partner, comparison, difference, n_partner, n_comparison``.
    """
    p = panel
    if demean:
        own = p[p["post"] == 0].groupby("unit")["y"].mean()
        p = p.assign(y=p["y"] - p["unit"].map(own))
    g = p.groupby(["time", "treated"])["y"].agg(["mean", "size"]).unstack("treated")
    out = pd.DataFrame(
        {
            "time": g.index,
            "partner": g[("mean", 1)].to_numpy(),
            "comparison": g[("mean", 0)].to_numpy(),
            "n_partner": g[("size", 1)].fillna(0).astype(int).to_numpy(),
            "n_comparison": g[("size", 0)].fillna(0).astype(int).to_numpy(),
        }
    )
    out["difference"] = out["partner"] - out["comparison"]
    return out.reset_index(drop=True)


@dataclass
class PlaceboResult:
    """One region's estimate and the placebo estimates of its comparison regions."""

    estimate: float
    placebo: pd.Series
    p_value: float
    interval: tuple[float, float]
    n_controls: int
    caveats: list[str] = field(default_factory=list)


def _fe_residuals(units: np.ndarray, times: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Residuals of the columns of ``Y`` on unit and time dummies (Frisch-Waugh-Lovell), all at once."""
    U = pd.get_dummies(units).to_numpy(dtype=float)
    T = pd.get_dummies(times).to_numpy(dtype=float)[:, 1:]
    X = np.hstack([U, T])
    beta, *_ = np.linalg.lstsq(X, Y, rcond=None)
    return Y - X @ beta


def placebo_did(panel: pd.DataFrame, *, alpha: float = 0.05) -> PlaceboResult:
    """Permutation inference for a panel with **one** partner region (cluster).

    The two-way fixed-effects estimate for the partner, and the same estimate on the comparison
    regions alone with each of them in turn as the pseudo-partner (all placebos in one
    least-squares solve with one column per placebo). p-value:
    :math:`(1 + \\#\\{|\\hat\\beta_j| \\ge |\\hat\\beta|\\}) / (1 + J)`; interval: the estimate
    plus/minus the ``1 - alpha`` quantile of the placebo estimates' absolute values.
    """
    _check_panel(panel)
    if panel.loc[panel["treated"] == 1, "cluster"].nunique() != 1:
        raise ParameterError("placebo_did needs exactly one partner region", hint="use did() for several")
    y = panel["y"].to_numpy(dtype=float)
    r = _fe_residuals(panel["unit"].to_numpy(), panel["time"].to_numpy(), np.column_stack([y, panel["D"]]))
    est = float(r[:, 1] @ r[:, 0] / (r[:, 1] @ r[:, 1]))
    c = panel[panel["treated"] == 0].reset_index(drop=True)
    controls = sorted(c["unit"].unique())
    Dj = (c["unit"].to_numpy()[:, None] == np.array(controls)[None, :]) & (c["post"].to_numpy()[:, None] == 1)
    rc = _fe_residuals(c["unit"].to_numpy(), c["time"].to_numpy(), np.column_stack([c["y"], Dj.astype(float)]))
    with np.errstate(invalid="ignore", divide="ignore"):
        placebo = (rc[:, 1:] * rc[:, [0]]).sum(axis=0) / (rc[:, 1:] ** 2).sum(axis=0)
    placebo = pd.Series(placebo, index=controls, name="placebo")
    valid = placebo.dropna()
    p = float((1 + (valid.abs() >= abs(est)).sum()) / (1 + len(valid)))
    q = float(np.quantile(valid.abs(), 1 - alpha)) if len(valid) else float("nan")
    caveats = [
        f"One partner region against {len(valid)} comparison regions: the interval comes from placebo tests "
        "(each comparison region treated as if it were the partner), not from a statistical model; with "
        f"{len(valid)} placebos the smallest possible p-value is {1 / (1 + len(valid)):.2f}.",
    ]
    gaps = _gaps_note(panel)
    if gaps:
        caveats.append(gaps)
    return PlaceboResult(est, placebo, p, (est - q, est + q), int(len(valid)), caveats)


@dataclass
class ITSResult:
    """Segmented regression of one series around an interruption."""

    pre_slope: float
    level_change: float
    slope_change: float
    level_ci: tuple[float, float]
    slope_ci: tuple[float, float]
    level_p: float
    slope_p: float
    n_pre: int
    n_post: int
    interruption: float
    fitted: pd.DataFrame
    caveats: list[str] = field(default_factory=list)
    model: Any = None


def interrupted_time_series(
    series: pd.DataFrame,
    interruption: float,
    *,
    time: str = "time",
    y: str = "y",
    maxlags: int = 1,
    alpha: float = 0.05,
    min_pre: int = 3,
    min_post: int = 2,
    label: str = "the series",
    few_post: int = FEW_POST,
) -> ITSResult:
    """Interrupted time series: :math:`y_t = b_0 + b_1 (t - t_0) + b_2 P_t + b_3 (t - t_0) P_t`.

    ``P_t = 1`` from the interruption ``t_0`` on (times as numbers, e.g. fractional years);
    :math:`b_2` is the jump in level at :math:`t_0`, :math:`b_3` the change in slope. OLS with
    Newey-West standard errors (``maxlags``). Fewer than ``min_pre`` points before or
    ``min_post`` from the interruption raise a :class:`~clusterix_lib.errors.ClusterixError`.
    With fewer than ``few_post`` points from the interruption on, the caveats say explicitly, with
    the number of points and ``label``, that the jump and the change of slope rest on them.

    Examples
    --------
    >>> t = np.arange(2010, 2020.0)
    >>> s = pd.DataFrame({"time": t, "y": 1 + 0.5 * (t - 2015) + 2 * (t >= 2015)})
    >>> r = interrupted_time_series(s, 2015)
    >>> round(r.level_change, 6), round(r.slope_change, 6), round(r.pre_slope, 6)
    (2.0, 0.0, 0.5)
    """
    import statsmodels.api as sm

    s = series[[time, y]].dropna().sort_values(time)
    tt = s[time].to_numpy(dtype=float) - float(interruption)
    post = (tt >= 0).astype(float)
    n_pre, n_post = int((post == 0).sum()), int(post.sum())
    if n_pre < min_pre or n_post < min_post:
        raise ClusterixError(
            f"too few points in {label} for an interrupted time series",
            where=f"{n_pre} before and {n_post} from the interruption at {interruption:g}",
            hint=f"needs at least {min_pre} before and {min_post} after",
        )
    X = np.column_stack([np.ones_like(tt), tt, post, tt * post])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.OLS(s[y].to_numpy(dtype=float), X).fit(cov_type="HAC", cov_kwds={"maxlags": maxlags})
    ci = res.conf_int(alpha)
    fitted = pd.DataFrame(
        {
            time: s[time].to_numpy(),
            "y": s[y].to_numpy(),
            "fitted": res.fittedvalues,
            "counterfactual": res.params[0] + res.params[1] * tt,
        }
    )
    caveats = [
        f"For {label}, {n_pre} points before and {n_post} after: with so few points the line fitted before the "
        "interruption "
        "is an uncertain guide to what would have happened without it.",
        "The series itself cannot tell the project apart from anything else that changed at the same time.",
    ]
    if n_post < few_post:
        caveats.insert(
            0,
            f"The jump and the change of slope of {label} rest on only {n_post} "
            f"point{'s' if n_post != 1 else ''} from the interruption on (fewer than {few_post}): one unusual "
            "value among them can create or hide a change; read them as indicative, not as a measured effect.",
        )
    return ITSResult(
        pre_slope=float(res.params[1]),
        level_change=float(res.params[2]),
        slope_change=float(res.params[3]),
        level_ci=(float(ci[2, 0]), float(ci[2, 1])),
        slope_ci=(float(ci[3, 0]), float(ci[3, 1])),
        level_p=float(res.pvalues[2]),
        slope_p=float(res.pvalues[3]),
        n_pre=n_pre,
        n_post=n_post,
        interruption=float(interruption),
        fitted=fitted,
        caveats=caveats,
        model=res,
    )


def estimates_table(
    did_result: DiDResult | None = None,
    event: pd.DataFrame | None = None,
    placebo: PlaceboResult | None = None,
    its: Sequence[tuple[str, ITSResult]] = (),
) -> pd.DataFrame:
    """Every estimate of a policy evaluation in one long table, to download with a report.

    Parameters
    ----------
    did_result
        :func:`did` (the consortium-wide difference-in-differences), or None.
    event
        The table of :func:`event_study` (year-by-year differences), or None.
    placebo
        :func:`placebo_did` (one region against its comparison regions), or None.
    its
        ``(series label, result)`` pairs of :func:`interrupted_time_series`.

    Returns
    -------
    pandas.DataFrame
        ``analysis, series, term, estimate, se, ci_low, ci_high, p_value, n_obs``: one row per
        coefficient (``D`` of the difference-in-differences; ``year YYYY`` of the event study;
        ``D`` of the placebo comparison, whose interval is the placebo interval and which has no
        standard error; ``level change`` and ``slope change`` of each interrupted time series).
        Missing values are NaN.

    Examples
    --------
    >>> t = np.arange(2010, 2020.0)
    >>> r = interrupted_time_series(pd.DataFrame({"time": t, "y": 1 + 0.5 * (t - 2015) + 2 * (t >= 2015)}), 2015)
    >>> tab = estimates_table(its=[("outcome", r)])
    >>> tab[["term", "estimate"]].round(6).values.tolist()
    [['level change', 2.0], ['slope change', 0.0]]
    """
    cols = ["analysis", "series", "term", "estimate", "se", "ci_low", "ci_high", "p_value", "n_obs"]
    nan = float("nan")
    rows: list[dict[str, Any]] = []
    if did_result is not None:
        rows.append(
            dict(
                analysis="difference-in-differences, all partner regions",
                series=did_result.outcome,
                term="D",
                estimate=did_result.estimate,
                se=did_result.se,
                ci_low=did_result.ci_low,
                ci_high=did_result.ci_high,
                p_value=did_result.p_value,
                n_obs=did_result.n_obs,
            )
        )
    if event is not None:
        series = did_result.outcome if did_result is not None else ""
        for r in event.itertuples():
            rows.append(
                dict(
                    analysis="event study, all partner regions",
                    series=series,
                    term=f"year {int(r.time)}",
                    estimate=r.coef,
                    se=r.se,
                    ci_low=r.ci_low,
                    ci_high=r.ci_high,
                    p_value=nan,
                    n_obs=nan,
                )
            )
    if placebo is not None:
        rows.append(
            dict(
                analysis=f"difference-in-differences, one region, placebo inference ({placebo.n_controls} placebos)",
                series=did_result.outcome if did_result is not None else "",
                term="D",
                estimate=placebo.estimate,
                se=nan,
                ci_low=placebo.interval[0],
                ci_high=placebo.interval[1],
                p_value=placebo.p_value,
                n_obs=nan,
            )
        )
    for label, r in its:
        bse = getattr(r.model, "bse", None)
        for i, (term, est, ci, p) in enumerate(
            [
                ("level change", r.level_change, r.level_ci, r.level_p),
                ("slope change", r.slope_change, r.slope_ci, r.slope_p),
            ]
        ):
            rows.append(
                dict(
                    analysis="interrupted time series",
                    series=label,
                    term=term,
                    estimate=est,
                    se=float(bse[2 + i]) if bse is not None else nan,
                    ci_low=ci[0],
                    ci_high=ci[1],
                    p_value=p,
                    n_obs=r.n_pre + r.n_post,
                )
            )
    return pd.DataFrame(rows, columns=cols)


# ----------------------------------------------------------------------------------------------
# Report targets and figures
# ----------------------------------------------------------------------------------------------


def policy_evaluation_targets(consortium_path: str | Path | None = None) -> list[dict[str, Any]]:
    """One ``policy_evaluation`` report per region of the consortium.

    For a consortium file other than the default one, ``consortium_file`` is added so that the
    report compares that consortium's regions and reads its ``monitoring/`` folder.

    >>> [t["region"] for t in policy_evaluation_targets()][:3]
    ['AT12', 'BE2', 'CZ08']
    """
    from clusterix_lib.consortium import consortium_regions, default_consortium_path, load_consortium

    path = Path(consortium_path) if consortium_path else default_consortium_path()
    extra: dict[str, Any] = {}
    if path.resolve() != default_consortium_path().resolve():
        extra["consortium_file"] = str(path.resolve())
    return [{"region": c, **extra} for c in consortium_regions(load_consortium(path))["nuts_code"]]


def plot_group_means(means: pd.DataFrame, *, start: int = START, ylabel: str = "", title: str = "") -> Any:
    """Partner and comparison means by year, with the start marked (the pre-trend plot)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 3.8), layout="constrained")
    ax.plot(means["time"], means["partner"], "o-", color="#b91c1c", label="partner regions (mean)")
    ax.plot(means["time"], means["comparison"], "s--", color="#1f4e79", label="comparison regions (mean)")
    ax.axvline(start - 0.5, color="#6b7280", lw=1, ls=":")
    ax.text(start - 0.45, ax.get_ylim()[1], " project start", va="top", fontsize=8, color="#374151")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, frameon=False)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig


def plot_event_study(table: pd.DataFrame, *, start: int = START, ylabel: str = "", title: str = "") -> Any:
    """Event-study coefficients with their intervals (zero line; the reference year has 0)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
    ax.axhline(0, color="#111827", lw=0.8)
    ax.axvline(start - 0.5, color="#6b7280", lw=1, ls=":")
    pre = table["time"] < start
    for sel, colour in ((pre, "#6b7280"), (~pre, "#b91c1c")):
        t = table[sel]
        ax.errorbar(
            t["time"],
            t["coef"],
            yerr=[t["coef"] - t["ci_low"], t["ci_high"] - t["coef"]],
            fmt="o",
            color=colour,
            capsize=3,
            ms=4,
        )
    ax.set_ylabel(ylabel or "partner minus comparison, vs. reference year")
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig


def plot_its(
    result: ITSResult,
    *,
    time: str = "time",
    ylabel: str = "",
    title: str = "",
    tick_labels: Mapping[float, str] | None = None,
) -> Any:
    """Observed series, fitted segments and the pre-interruption line continued (counterfactual).

    Parameters
    ----------
    result
        :func:`interrupted_time_series`.
    ylabel
        Axis label, wrapped over several lines if long.
    tick_labels
        Labels of the time points, e.g. ``{2017.49: "2017-S1"}`` for semesters given as fractional
        years: the x axis is then labelled with these periods (every other one, or sparser, when
        there are many). Without it, whole-number times (years) are labelled as whole years.
    """
    import textwrap

    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    f = result.fitted
    fig, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
    ax.plot(f[time], f["y"], "o", color="#111827", ms=4, label="observed")
    before = f[time] < result.interruption
    ax.plot(f.loc[before, time], f.loc[before, "fitted"], "-", color="#1f4e79", label="fitted")
    ax.plot(f.loc[~before, time], f.loc[~before, "fitted"], "-", color="#1f4e79")
    ax.plot(f.loc[~before, time], f.loc[~before, "counterfactual"], "--", color="#6b7280", label="trend continued")
    ax.axvline(result.interruption, color="#6b7280", lw=1, ls=":")
    if tick_labels:
        ticks = sorted(tick_labels)
        step = max(1, int(np.ceil(len(ticks) / 8)))
        ax.set_xticks(ticks[::step], [tick_labels[t] for t in ticks[::step]], fontsize=8)
    elif np.allclose(f[time].to_numpy(dtype=float), np.round(f[time].to_numpy(dtype=float))):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0f}"))
    ax.set_ylabel("\n".join(textwrap.wrap(ylabel, 40, break_long_words=False)))
    ax.legend(fontsize=8, frameon=False)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig
