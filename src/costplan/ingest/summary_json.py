"""``workload build --format json``: what was built, as one JSON document.

Contract (schema ``costplan schema output-workload-build``): the files written; per
task its volume per period and where it came from (``traffic``: the logged requests
extrapolated to the period; ``--volume``: given), the requests and logged spend per
model seen in its traffic (sheet names), today's share and the eval quality per model;
the models named anywhere; the models dropped with ``--ignore-model`` with their
requests and logged spend; malformed rows skipped; the warnings and notes printed on
stderr (without their ``warning:``/``note:`` prefix). Logged spend is the log's exact
decimal (USD, a string); shares and quality are decimal strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from costplan.ingest.run import BuildRequest, BuildResult


def _dec(value: object) -> str | None:
    """An exact plain decimal string (no exponent) of a Decimal, int or decimal text."""
    from costplan.pricing.dump import number

    if value is None:
        return None
    return number(Decimal(str(value)))


def _task(entry: dict[str, Any], req: BuildRequest, built: dict[str, Any]) -> dict[str, Any]:
    name = entry["name"]
    volume = entry["volume"]
    mean, cv = (volume["mean"], volume["cv"]) if isinstance(volume, dict) else (volume, None)
    side = built["sidecar"].get("tasks", {}).get(name)
    quality = built["workload"].get("quality", {}).get(name, {})
    current = built["workload"].get("current", {}).get(name, {})
    traffic = {} if side is None else side["models"]
    models = []
    for model in sorted(set(traffic) | set(quality) | set(current)):
        seen = traffic.get(model)
        q = quality.get(model)
        score = q["score"] if isinstance(q, dict) else q
        models.append(
            {
                "model": model,
                "requests": None if seen is None else seen["requests"],
                "spend_usd": None if seen is None else _dec(seen["spend_usd"]),
                "share_today": _dec(current.get(model)),
                "quality": _dec(score),
            }
        )
    return {
        "name": name,
        "volume": mean,
        "volume_cv": _dec(cv),
        "volume_source": "--volume" if name in req.volumes else "traffic",
        "requests": None if side is None else side["requests"],
        "min_quality": _dec(entry.get("min_quality")),
        "models": models,
    }


def _stripped(messages: tuple[str, ...], prefix: str) -> list[str]:
    return [m.removeprefix(prefix) for m in messages if m.startswith(prefix)]


def build_json(req: BuildRequest, result: BuildResult) -> dict[str, Any]:
    """The document of ``workload build --format json`` (see the module docs)."""
    built = {"workload": result.built.workload, "sidecar": result.built.sidecar}
    tasks = [_task(t, req, built) for t in result.built.workload["tasks"]]
    traffic = result.traffic
    return {
        "format": 1,
        "workload": str(result.workload_path),
        "sidecar": str(result.sidecar_path),
        "queries_out": None if req.queries_out is None else str(req.queries_out),
        "queries": result.queries,
        "name": result.built.workload["name"],
        "period": result.built.workload["period"],
        "inputs": {
            "traffic": [str(p) for p in req.traffic],
            "evals": [str(p) for p in req.evals],
            "prices": [str(p) for p in req.prices],
        },
        "models_checked": bool(req.prices),
        "tasks": tasks,
        "models": sorted({m["model"] for t in tasks for m in t["models"]}),
        "ignored_models": [
            {"model": model, "requests": n, "spend_usd": _dec(spend)}
            for model, n, spend in (traffic.ignored if traffic else ())
        ],
        "malformed": {
            "traffic_rows": traffic.malformed if traffic else 0,
            "traffic_first": [m.render() for m in traffic.malformed_first] if traffic else [],
            "eval_rows": result.eval_malformed,
        },
        "warnings": _stripped(result.messages, "warning: "),
        "notes": _stripped(result.messages, "note: "),
    }
