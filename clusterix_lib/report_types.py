"""The kinds of report the suite builds, and which reports make up the default set.

A report type is a notebook in ``notebooks/`` plus a rule saying, for a consortium, which
reports of that type the default set contains (one per partner region, one per peer review...).
Adding a report type is one entry in :data:`REPORT_TYPES`; nothing else names it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clusterix_lib.errors import ParameterError

__all__ = ["REPORT_TYPES", "ReportType", "consortium_region_targets", "get_report_type"]

#: ``targets(consortium_path)`` returns the parameter sets of the default reports of one type.
Targets = Callable[[str | Path | None], list[dict[str, Any]]]


def consortium_region_targets(consortium_path: str | Path | None = None) -> list[dict[str, Any]]:
    """One report per distinct region of the consortium (partners sharing a region share it).

    >>> [t["region"] for t in consortium_region_targets()][:3]
    ['AT12', 'BE2', 'CZ08']
    """
    from clusterix_lib.consortium import consortium_regions, load_consortium

    return [{"region": code} for code in consortium_regions(load_consortium(consortium_path))["nuts_code"]]


@dataclass(frozen=True)
class ReportType:
    """A kind of report.

    Parameters
    ----------
    name
        Identifier used on the command line (``clusterix report NAME``) and in file names.
    notebook
        File name in ``notebooks/``.
    title
        Human title; the report's title is ``"{title}: {region name} ({code})"``.
    targets
        ``"module:function"`` giving the default reports of this type for a consortium
        (see :data:`Targets`).
    region_param
        The notebook parameter holding the NUTS code the report is about; ``None`` for a report
        about several regions (a consortium scoreboard), which then needs a ``key_param``.
    key_param
        A second parameter that tells reports of one region apart (a review id, a trip id);
        its value becomes part of the output file name.
    """

    name: str
    notebook: str
    title: str
    targets: str = "clusterix_lib.report_types:consortium_region_targets"
    region_param: str | None = "region"
    key_param: str | None = None

    def __post_init__(self) -> None:
        if self.region_param is None and self.key_param is None:
            raise ValueError(f"report type {self.name!r}: a report without a region needs a key_param")

    def default_targets(self, consortium_path: str | Path | None = None) -> list[dict[str, Any]]:
        module, func = self.targets.split(":")
        fn: Targets = getattr(importlib.import_module(module), func)
        return fn(consortium_path)

    def stem(self, params: dict[str, Any]) -> str:
        """Output file stem inside the region's folder."""
        if self.key_param is None:
            return self.name
        return f"{self.name}-{params[self.key_param]}"


REPORT_TYPES: dict[str, ReportType] = {
    r.name: r
    for r in [
        ReportType("regional_profile", "regional_profile.ipynb", "Regional profile"),
        ReportType(
            "peer_review",
            "peer_review.ipynb",
            "Peer review",
            targets="clusterix_lib.peer_review:review_targets",
            key_param="review",
        ),
        ReportType(
            "scoreboard",
            "scoreboard.ipynb",
            "Innovation scoreboard",
            targets="clusterix_lib.scoreboard:scoreboard_targets",
            region_param=None,
            key_param="consortium",
        ),
        ReportType(
            "policy_evaluation",
            "policy_evaluation.ipynb",
            "Policy evaluation",
            targets="clusterix_lib.evaluation:policy_evaluation_targets",
        ),
        ReportType("collaboration", "collaboration.ipynb", "Collaboration"),
        ReportType("complementarity", "complementarity.ipynb", "Complementarity"),
        ReportType(
            "good_practice",
            "good_practice.ipynb",
            "Good practices",
            targets="clusterix_lib.good_practices:gp_region_targets",
        ),
        ReportType(
            "trip_briefing",
            "trip_briefing.ipynb",
            "Study-trip briefing pack",
            targets="clusterix_lib.study_trips:trip_targets",
            key_param="trip",
        ),
        ReportType(
            "trip_lessons",
            "trip_lessons.ipynb",
            "Study-trip lessons learnt",
            targets="clusterix_lib.study_trips:trip_targets",
            key_param="trip",
        ),
        ReportType(
            "programme_dashboard",
            "programme_dashboard.ipynb",
            "Programme indicators",
            targets="clusterix_lib.programme:programme_targets",
            region_param=None,
            key_param="consortium",
        ),
    ]
}


def get_report_type(name: str) -> ReportType:
    """The report type called ``name``, or a :class:`ParameterError` listing the known ones."""
    try:
        return REPORT_TYPES[name]
    except KeyError:
        raise ParameterError(
            f"unknown report type {name!r}", hint=f"choose one of {', '.join(sorted(REPORT_TYPES))}"
        ) from None
