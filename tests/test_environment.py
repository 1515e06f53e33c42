"""environment.yml (conda, analysts) and pyproject.toml (pip, CI) list the same packages."""

import re
import tomllib

from clusterix_lib import paths

ROOT = paths.REPO_ROOT


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req.split(";")[0].split("#")[0])
    name, spec = m.group(1), m.group(2).replace(" ", "")
    return re.sub(r"[-_.]+", "-", name).lower(), spec


def pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        reqs += extra
    return dict(_split(r) for r in reqs)


def environment_requirements() -> dict[str, str]:
    out = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"^\s+-\s+([^#\s][^#]*)", line)
        if m and not line.strip().startswith("- conda-forge") and not line.strip().startswith("- nodefaults"):
            name, spec = _split(m.group(1))
            if name not in ("python", "pip"):
                out[name] = spec
    return out


def test_same_packages_and_lower_bounds():
    py, env = pyproject_requirements(), environment_requirements()
    assert set(py) == set(env), (
        f"only in pyproject.toml: {sorted(set(py) - set(env))}; only in environment.yml: {sorted(set(env) - set(py))}"
    )
    differ = {k: (py[k], env[k]) for k in py if py[k] != env[k]}
    assert not differ, f"version bounds differ (pyproject, environment.yml): {differ}"


def test_parser_sees_the_packages():
    # guard against a parser that silently finds nothing
    assert len(environment_requirements()) >= 10
    assert "papermill" in pyproject_requirements()
