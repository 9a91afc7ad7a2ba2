"""Safe YAML: plain data only, bounded aliases, samples kept inside the workload folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import costplan.yamlsource as yamlsource
from costplan.errors import InputError
from costplan.workload.load import load_workload
from costplan.yamlsource import load_document, load_yaml
from tests.cli.conftest import edit
from tests.trust.conftest import Runner


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/name:os.system",
        "!!python/module:os",
        "!!python/object:pathlib.Path {{}}",
    ],
)
def test_python_tags_are_never_constructed(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "w.yaml"
    path.write_text(f"name: {tag.format(marker=marker)}\n")
    with pytest.raises(InputError, match=r"w\.yaml:1: unsupported YAML"):
        load_yaml(path, what="workload")
    assert not marker.exists()


def test_the_loader_builds_plain_types_only(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("a: 2026-11-01\nb: [1, 0.5, yes, ~, text]\n")
    doc = load_yaml(path, what="x")
    kinds = {type(v).__name__ for v in [doc.data["a"], *doc.data["b"]]}
    assert kinds == {"date", "int", "Decimal", "bool", "NoneType", "str"}


def test_aliases_work_but_a_bomb_fails_fast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok = tmp_path / "ok.yaml"
    ok.write_text("base: &half {discount: 0.5}\na: {batch: *half}\nb: {batch: *half}\n")
    assert load_yaml(ok, what="x").data["b"] == {"batch": {"discount": 0.5}}
    bomb = tmp_path / "bomb.yaml"
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)
    ]
    bomb.write_text("\n".join(lines) + "\n")  # 10^12 values once expanded
    # "fast" as work, not time: count the values built before the refusal
    built = 0
    real_build = yamlsource._Builder.build

    def counting(self: Any, *args: Any) -> Any:
        nonlocal built
        built += 1
        return real_build(self, *args)

    monkeypatch.setattr(yamlsource._Builder, "build", counting)
    with pytest.raises(InputError, match=r"aliases expand to more than 100000 values"):
        load_yaml(bomb, what="x")
    # the file has 12 x 11 nodes; the refusal comes within about 100,000 expanded values
    # (one level of the bomb more would be 10x that)
    assert 100_000 / 10 < built <= 100_000 + 12 * 11


def test_json_is_held_to_the_same_rules(tmp_path: Path) -> None:
    dup = tmp_path / "d.json"
    dup.write_text('{"a": 1, "a": 2}')
    with pytest.raises(InputError, match=r"d\.json: duplicate key 'a'"):
        load_document(dup, what="x")
    big = tmp_path / "b.json"
    big.write_text('{"a": 1e999999999}')
    with pytest.raises(InputError, match=r"number is too large"):
        load_document(big, what="x")


def _samples_outside(basic: Path) -> None:
    (basic.parent / "outside").mkdir()
    (basic.parent / "outside" / "p.txt").write_text("a prompt outside the workload folder\n")
    edit(basic / "workload.yaml", "samples/a/*.txt", "../outside/*.txt")


def test_samples_outside_the_folder_are_refused(run: Runner, basic: Path) -> None:
    _samples_outside(basic)
    r = run("estimate", basic / "workload.yaml")
    assert r.code == 2
    assert "tasks[0].prompt.samples: sample pattern '../outside/*.txt' points outside" in r.err
    assert "set allow_outside_samples: true" in r.err


def test_samples_outside_the_folder_are_allowed_when_asked(run: Runner, basic: Path) -> None:
    _samples_outside(basic)
    edit(basic / "workload.yaml", "period: month\n", "period: month\nallow_outside_samples: true\n")
    workload = load_workload(basic / "workload.yaml")
    assert workload.tasks[0].prompt.texts == ("a prompt outside the workload folder\n",)
    r = run("optimize", basic / "workload.yaml", "-q")
    assert r.code == 0, r.err


def test_a_symlink_out_of_the_folder_is_refused_unless_allowed(basic: Path) -> None:
    secret = basic.parent / "secret.txt"
    secret.write_text("not a prompt\n")
    (basic / "samples" / "a" / "9.txt").symlink_to(secret)
    with pytest.raises(InputError, match=r"sample 'samples/a/9\.txt' resolves to .*outside"):
        load_workload(basic / "workload.yaml")
    edit(basic / "workload.yaml", "period: month\n", "period: month\nallow_outside_samples: true\n")
    assert "not a prompt\n" in load_workload(basic / "workload.yaml").tasks[0].prompt.texts
