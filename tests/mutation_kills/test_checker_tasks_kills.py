"""Kill tests for costplan/verify/tasks.py: the checker's own reading of a workload file.

Oracle: each workload below is written in the test and its reading stated field by field by
hand (Fractions from the decimal texts: ``0.15`` = 3/20; output ``{mean: 10.2, p95: 9}``
bills ceil(10.2) = 11 and uses max(9, 11) = 11 at p95), compared as whole dataclasses.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from costplan.errors import InputError
from costplan.verify.tasks import (
    CascadeSpec,
    TaskSpec,
    capped,
    read_workload,
    restricted,
)

F = Fraction

FULL = """\
name: wl
period: week
budget_usd: 12.5
objective: min_cost
region: eu
prices: [a.yaml, sub/b.yaml]
volume_correlation: 0.25
tasks:
  - name: chat
    volume: {mean: 1000, p05: 800, p95: 1300, cv: 0.1, distribution: poisson}
    prompt: {tokens: 120}
    shared_prefix_tokens: 40
    output_tokens: {mean: 10.2, p95: 9}
    reasoning_tokens: 7
    min_quality: 0.85
    latency: batch
    allow: [m1, m2]
    split: false
    max_latency_p95_ms: 900
    cache: {hit_rate: {5m: 0.5, 1h: 0.75}, ttl: 1h}
    cascades:
      - {name: c1, steps: [m1, m2], escalate: [0.3, 0.5], quality: 0.9, mode: batch}
      - {name: c2, steps: [m2, m1], escalate: 0.2, quality: 0.8}
    profiles:
      m1: {output_tokens: {mean: 5, p95: 8}, reasoning_tokens: 3,
           latency_ms: {p50: 100, p95: 400}}
      m2: {reasoning_tokens: 0, latency_ms: {standard: {p95: 300}, batch: {p95: 5000}}}
      m3: {output_tokens: 4}
  - name: 7
    volume: 50
    prompt: {samples: "s/*.txt", field: text, max_samples: 20}
    output_tokens: 30
    cache: {hit_rate: 0.4}
quality:
  chat: {m1: 0.9, m2: {score: 0.8, n: 200, stderr: 0.02}, m3: {score: 0.7}}
  "7": {m1: 1}
measured_cost_usd:
  chat: {m1: 0.0001}
constraints:
  capacity:
    m1: {requests: 100, tokens: 5000}
    m2: {tokens: 10}
  use_rate_limits: true
  max_provider_share: {OpenAI: 0.6, "*": 0.5}
"""


def _read(tmp_path: Path, text: str) -> Any:
    p = tmp_path / "w.yaml"
    p.write_text(text)
    return read_workload(p)


def _refused(tmp_path: Path, text: str) -> InputError:
    with pytest.raises(InputError) as info:
        _read(tmp_path, text)
    return info.value


def test_every_field_of_a_full_workload(tmp_path: Path) -> None:
    w = _read(tmp_path, FULL)
    assert w.name == "wl"
    assert w.period == "week"
    assert w.budget_usd == F(25, 2)
    assert w.objective == "min_cost"
    assert w.region == "eu"
    assert w.price_paths == (tmp_path / "a.yaml", tmp_path / "sub/b.yaml")
    assert w.volume_correlation == F(1, 4)
    assert w.quality == {"chat": {"m1": F(9, 10), "m2": F(4, 5), "m3": F(7, 10)},
                         "7": {"m1": F(1)}}  # fmt: skip
    assert w.quality_stats == {"chat": {"m2": (200, F(1, 50)), "m3": (None, None)}, "7": {}}
    assert w.measured_usd == {"chat": {"m1": F(1, 10_000)}}
    assert w.capacity == {"m1": (100, 5000), "m2": (None, 10)}
    assert w.use_rate_limits is True
    assert w.shares == {"openai": F(3, 5), "*": F(1, 2)}
    assert w.commitments == {}
    assert w.file.path == tmp_path / "w.yaml"
    chat = TaskSpec(
        name="chat", volume=1000, prompt_tokens=120, samples=None, field=None,
        max_samples=None, shared=40, output_mean=11, output_p95=11, reasoning=7,
        min_quality=F(17, 20), latency="batch", allow=("m1", "m2"), split=False,
        cascades=(
            CascadeSpec("c1", ("m1", "m2"), (F(3, 10), F(1, 2)), F(9, 10), "batch"),
            CascadeSpec("c2", ("m2", "m1"), (F(1, 5),), F(4, 5), "standard"),
        ),
        cache_rates={"5m": F(1, 2), "1h": F(3, 4)},
        profiles=(("m1", (5, 8, 3)), ("m2", (None, None, 0)), ("m3", (4, 4, None))),
        cache_ttl="1h", volume_p05=800, volume_p95=1300, volume_cv=F(1, 10),
        volume_poisson=True, slo_ms=900,
        latency_p95=(("m1", "standard", 400), ("m2", "standard", 300), ("m2", "batch", 5000)),
    )  # fmt: skip
    seven = TaskSpec(
        name="7", volume=50, prompt_tokens=None, samples="s/*.txt", field="text",
        max_samples=20, shared=0, output_mean=30, output_p95=30, reasoning=0,
        min_quality=None, latency="realtime", allow=None, split=True, cascades=(),
        cache_rates={"5m": F(2, 5), "1h": F(2, 5)}, profiles=(), cache_ttl="auto",
    )  # fmt: skip
    assert w.tasks == (chat, seven)


def test_defaults_of_a_bare_workload(tmp_path: Path) -> None:
    w = _read(tmp_path, "tasks:\n  - {name: a, volume: 3, output_tokens: {mean: 2}}\n")
    assert w.name == "None"
    assert w.period == "month"
    assert w.budget_usd is None
    assert w.objective == "max_quality"
    assert w.region is None
    assert w.price_paths == ()
    assert w.volume_correlation == 0
    assert w.quality == {}
    assert w.quality_stats == {}
    assert w.measured_usd == {}
    assert w.capacity == {}
    assert w.use_rate_limits is False
    assert w.shares == {}
    (t,) = w.tasks
    assert t == TaskSpec(
        name="a", volume=3, prompt_tokens=None, samples=None, field=None, max_samples=None,
        shared=0, output_mean=2, output_p95=2, reasoning=0, min_quality=None,
        latency="realtime", allow=None, split=True, cascades=(), cache_rates=None,
    )  # fmt: skip
    assert t.cache_ttl == "auto"
    assert t.slo_ms is None
    assert (t.volume_p05, t.volume_p95, t.volume_cv, t.volume_poisson) == (None, None, None, False)
    w = _read(tmp_path, "prices: one.yaml\ntasks: []\n")
    assert w.price_paths == (tmp_path / "one.yaml",)


def test_output_tokens_forms(tmp_path: Path) -> None:
    def out(text: str) -> tuple[int, int]:
        w = _read(tmp_path, f"tasks:\n  - {{name: a, volume: 1, output_tokens: {text}}}\n")
        return w.tasks[0].output_mean, w.tasks[0].output_p95

    assert out("12") == (12, 12)
    assert out("{mean: 10, p95: 30}") == (10, 30)
    assert out("{mean: 10.01, p95: 30}") == (11, 30)  # ceil
    assert out("{mean: 10.01, p95: 11}") == (11, 11)
    assert out("{mean: 10, p95: 10}") == (10, 10)
    assert out("{mean: 20, p95: 10}") == (20, 20)  # at least the mean
    assert out("{mean: 9.5}") == (10, 10)
    err = _refused(tmp_path, "tasks:\n  - {name: a, volume: 1, output_tokens: 1.5}\n")
    assert err.message == "expected a whole number"
    assert err.key == "tasks[0].output_tokens"
    err = _refused(tmp_path, "tasks:\n  - {name: a, volume: 1, output_tokens: {mean: x}}\n")
    assert err.message == "expected a number"
    assert err.key == "tasks[0].output_tokens.mean"
    assert err.value == "x"
    err = _refused(tmp_path, "tasks:\n  - {name: a, volume: 1, output_tokens: {mean: 1, "
                   "p95: 2.5}}\n")  # fmt: skip
    assert err.key == "tasks[0].output_tokens"


def test_task_profiles_replace_only_what_they_give(tmp_path: Path) -> None:
    t = _read(tmp_path, FULL).tasks[0]
    m1 = t.for_model("m1")
    assert (m1.output_mean, m1.output_p95, m1.reasoning) == (5, 8, 3)
    m2 = t.for_model("m2")
    assert (m2.output_mean, m2.output_p95, m2.reasoning) == (11, 11, 0)
    m3 = t.for_model("m3")
    assert (m3.output_mean, m3.output_p95, m3.reasoning) == (4, 4, 7)
    assert t.for_model("zz") is t
    assert m1.name == "chat"
    assert m1.volume == 1000
    err = _refused(tmp_path, "tasks:\n  - {name: a, volume: 1, output_tokens: 1, profiles: "
                   "{m: {reasoning_tokens: 0.5}}}\n")  # fmt: skip
    assert err.key == "tasks[0].profiles.m"
    err = _refused(tmp_path, "tasks:\n  - {name: a, volume: 1, output_tokens: 1, profiles: "
                   "{m: {output_tokens: 0.5}}}\n")  # fmt: skip
    assert err.key == "tasks[0].profiles.m.output_tokens"
    err = _refused(tmp_path, "tasks:\n  - {name: a, volume: 1, output_tokens: 1, profiles: "
                   "{m: {latency_ms: {p95: 0.5}}}}\n")  # fmt: skip
    assert err.key == "tasks[0].profiles.m.latency_ms"


def test_latency_helpers(tmp_path: Path) -> None:
    t = _read(tmp_path, FULL).tasks[0]

    @dataclasses.dataclass
    class M:
        name: str
        latency_p95: tuple[tuple[str, int], ...]

    assert t.p95_ms(M("m2", (("batch", 1), ("flex", 2))), "batch") == 5000
    assert t.p95_ms(M("m2", (("flex", 2),)), "flex") == 2
    assert t.p95_ms(M("m1", ()), "batch") is None
    assert t.p95_ms(M("m9", (("standard", 7),)), "standard") == 7
    assert t.too_slow(900) is None
    assert t.too_slow(901) == "p95 latency 901 ms is above the SLO"
    assert t.too_slow(1_200) == "p95 latency 1,200 ms is above the SLO"
    assert t.too_slow(None) == "no p95 latency known for a task with a latency SLO"
    free = dataclasses.replace(t, slo_ms=None)
    assert free.too_slow(None) is None
    assert free.too_slow(10**9) is None


def test_cache_choices(tmp_path: Path) -> None:
    w = _read(tmp_path, FULL)
    assert w.tasks[0].cache_choices() == ("1h",)
    assert w.tasks[1].cache_choices() == ("none", "5m", "1h")
    only = dataclasses.replace(w.tasks[1], cache_rates={"1h": F(1, 2)})
    assert only.cache_choices() == ("none", "1h")
    assert dataclasses.replace(w.tasks[1], cache_rates=None).cache_choices() == ("",)


def test_cascade_reach() -> None:
    c = CascadeSpec("c", ("a", "b", "c"), (F(3, 10), F(1, 2)), F(1), "standard")
    assert c.reach() == (F(1), F(3, 10), F(3, 20))
    assert CascadeSpec("d", ("a",), (), F(1), "standard").reach() == (F(1),)


def test_capped_and_restricted(tmp_path: Path) -> None:
    w = _read(tmp_path, FULL)
    c = capped(w, 500)
    assert [t.slo_ms for t in c.tasks] == [500, 500]
    c = capped(w, 1_000)
    assert [t.slo_ms for t in c.tasks] == [900, 1_000]
    assert c.tasks[0].name == "chat"
    assert c.name == "wl"
    r = restricted(w, {"chat": ["m2", "c2", "m9"], "7": ["m1"]})
    assert r.tasks[0].allow == ("m2",)
    assert [x.name for x in r.tasks[0].cascades] == ["c2"]
    assert r.tasks[1].allow == ("m1",)
    assert r.tasks[1].cascades == ()
    r = restricted(w, {"7": ["m1"]})
    assert r.tasks[0] == w.tasks[0]
    assert r.name == "wl"


def test_structure_errors_name_the_file(tmp_path: Path) -> None:
    p = tmp_path / "w.yaml"
    for text in ("tasks: 3\n", "- 1\n", "name: x\n"):
        err = _refused(tmp_path, text)
        assert err.message == "workload needs a 'tasks' list"
        assert err.file == str(p)
    err = _refused(tmp_path, "tasks:\n  - {volume: 1, output_tokens: 1}\n")
    assert err.message == "workload structure not readable: KeyError('name')"
    assert err.file == str(p)
    err = _refused(tmp_path, "tasks:\n  - {name: a, volume: 1, output_tokens: 1}\n"
                   "quality: {a: {m: {n: 3}}}\n")  # fmt: skip
    assert err.message == "workload structure not readable: KeyError('score')"
    err = _refused(tmp_path, "tasks:\n  - {name: a, volume: 1, output_tokens: 1, "
                   "cascades: [{name: c, steps: 3, escalate: 0.1, quality: 1}]}\n")  # fmt: skip
    assert (
        err.message == "workload structure not readable: TypeError(\"'int' object is not "
        'iterable")'
    )
    err = _refused(tmp_path, "tasks:\n  - {name: a, volume: 1, output_tokens: 1}\n"
                   "constraints: {capacity: {m: 3}}\n")  # fmt: skip
    assert err.message.startswith("workload structure not readable: AttributeError(")


def test_number_fields_name_their_keys(tmp_path: Path) -> None:
    base = "tasks:\n  - {name: a, volume: 1, output_tokens: 1}\n"
    cases = [
        ("tasks:\n  - {name: a, volume: 1.5, output_tokens: 1}\n", "tasks[0].volume"),
        ("tasks:\n  - {name: a, volume: {mean: 1, p05: x}, output_tokens: 1}\n",
         "tasks[0].volume.p05"),
        ("tasks:\n  - {name: a, volume: {mean: 1, p95: 0.5}, output_tokens: 1}\n",
         "tasks[0].volume.p95"),
        ("tasks:\n  - {name: a, volume: {mean: 1, cv: x}, output_tokens: 1}\n",
         "tasks[0].volume.cv"),
        ("tasks:\n  - {name: a, volume: 1, output_tokens: 1, prompt: {tokens: 0.5}}\n",
         "tokens"),
        ("tasks:\n  - {name: a, volume: 1, output_tokens: 1, prompt: {max_samples: x}}\n",
         "max_samples"),
        ("tasks:\n  - {name: a, volume: 1, output_tokens: 1, shared_prefix_tokens: 0.5}\n",
         "tasks[0].shared_prefix_tokens"),
        ("tasks:\n  - {name: a, volume: 1, output_tokens: 1, reasoning_tokens: 0.5}\n",
         "tasks[0].reasoning_tokens"),
        ("tasks:\n  - {name: a, volume: 1, output_tokens: 1, min_quality: x}\n",
         "tasks[0].min_quality"),
        ("tasks:\n  - {name: a, volume: 1, output_tokens: 1, max_latency_p95_ms: 0.5}\n",
         "tasks[0].max_latency_p95_ms"),
        ("tasks:\n  - {name: a, volume: 1, output_tokens: 1, cache: {hit_rate: x}}\n",
         "tasks[0].cache.hit_rate"),
        ("tasks:\n  - {name: a, volume: 1, output_tokens: 1, cache: {hit_rate: {5m: x}}}\n",
         "tasks[0].cache.hit_rate"),
        ("tasks:\n  - {name: a, volume: 1, output_tokens: 1, cascades: [{name: c, steps: [m],"
         " escalate: x, quality: 1}]}\n", "tasks[0].cascades.escalate"),
        ("tasks:\n  - {name: a, volume: 1, output_tokens: 1, cascades: [{name: c, steps: [m],"
         " escalate: 0.1, quality: x}]}\n", "tasks[0].cascades.quality"),
        (base + "quality: {a: {m: x}}\n", "quality.a.m"),
        (base + "quality: {a: {m: {score: 1, n: 0.5}}}\n", "quality.a.n"),
        (base + "quality: {a: {m: {score: 1, stderr: x}}}\n", "quality.a.stderr"),
        (base + "measured_cost_usd: {a: {m: x}}\n", "measured_cost_usd.a.m"),
        (base + "constraints: {capacity: {m: {requests: 0.5}}}\n", "capacity.m.requests"),
        (base + "constraints: {capacity: {m: {tokens: x}}}\n", "capacity.m.tokens"),
        (base + "constraints: {max_provider_share: {p: x}}\n",
         "constraints.max_provider_share.p"),
        (base + "budget_usd: x\n", "budget_usd"),
        (base + "volume_correlation: x\n", "volume_correlation"),
    ]  # fmt: skip
    for text, key in cases:
        err = _refused(tmp_path, text)
        assert err.key == key, (text, err)
        assert err.message in ("expected a number", "expected a whole number"), text


def test_whole_numbers_accept_exact_integers_only(tmp_path: Path) -> None:
    w = _read(tmp_path, "tasks:\n  - {name: a, volume: '12', output_tokens: 4.0, "
              "shared_prefix_tokens: 1e3}\n")  # fmt: skip
    assert w.tasks[0].volume == 12
    assert w.tasks[0].output_mean == 4
    assert w.tasks[0].shared == 1000
    err = _refused(tmp_path, "tasks:\n  - {name: a, volume: true, output_tokens: 1}\n")
    assert err.message == "expected a number"
    assert err.value is True


def test_after_the_mutation_run(tmp_path: Path) -> None:
    """Survivors of the first run: the value of a whole-number error, a profile without a
    latency before one with it, the workload's name in a read error."""
    err = _refused(tmp_path, "tasks:\n  - {name: a, volume: 1.5, output_tokens: 1}\n")
    assert err.value == F(3, 2)
    w = _read(tmp_path, "tasks:\n  - {name: a, volume: 1, output_tokens: 1, profiles: "
              "{m0: {output_tokens: 2}, m1: {latency_ms: {p95: 70}}}}\n")  # fmt: skip
    assert w.tasks[0].latency_p95 == (("m1", "standard", 70),)
    with pytest.raises(InputError) as info:
        read_workload(tmp_path / "missing.yaml")
    assert info.value.message == "workload not found"
