"""TokenizerSpec and parse_tokenizer: accepted forms and located errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costplan.errors import InputError
from costplan.tokens import FAMILY_FACTORS, TokenizerSpec, parse_tokenizer
from costplan.tokens.tokenizer import EXACT_FAMILIES, family_spec

FILE = Path("prices.yaml")
KEY = ("models", "sonnet", "tokenizer")


def parse(value: Any) -> TokenizerSpec:
    return parse_tokenizer(value, file=FILE, key=KEY, line=7)


def parse_error(value: Any) -> InputError:
    with pytest.raises(InputError) as info:
        parse(value)
    err = info.value
    # Every error is located and shows the value.
    assert err.file == "prices.yaml"
    assert err.line == 7
    assert err.key == "models.sonnet.tokenizer"
    assert err.has_value
    assert str(err).startswith("prices.yaml:7: models.sonnet.tokenizer: ")
    return err


def test_family_table_has_the_documented_families() -> None:
    assert set(FAMILY_FACTORS) == {
        "openai",
        "claude",
        "gemini",
        "llama",
        "mistral",
        "qwen",
        "deepseek",
    }
    assert dict(EXACT_FAMILIES) == {"openai": "o200k_base", "qwen": "qwen_base"}
    assert FAMILY_FACTORS["openai"] == 1
    assert FAMILY_FACTORS["claude"] == Decimal("1.20")
    for family, factor in FAMILY_FACTORS.items():
        assert isinstance(factor, Decimal)
        # Other tokenizers are never assumed denser than o200k_base (conservative).
        assert Decimal(1) <= factor <= Decimal(2), family


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base", " CL100K_BASE "])
def test_encoding_names_are_exact(name: str) -> None:
    spec = parse(name)
    assert spec == TokenizerSpec.exact(name.strip().lower())  # type: ignore[arg-type]
    assert not spec.estimated
    assert spec.factor is None


def test_openai_family_is_exact_o200k() -> None:
    spec = parse("openai")
    assert spec.encoding == "o200k_base"
    assert spec.family == "openai"
    assert not spec.estimated


def test_qwen_family_is_exact_with_its_bundled_bpe() -> None:
    spec = parse("qwen")
    assert spec == TokenizerSpec.exact("qwen_base", family="qwen")
    assert not spec.estimated
    assert parse("qwen_base") == TokenizerSpec.exact("qwen_base")
    assert parse("deepseek_v4") == TokenizerSpec.exact("deepseek_v4")


@pytest.mark.parametrize("family", ["claude", "gemini", "llama", "mistral", "deepseek"])
def test_family_names_are_estimates_with_default_factor(family: str) -> None:
    spec = parse(family.upper())
    assert spec == TokenizerSpec.estimate(family, FAMILY_FACTORS[family])
    assert spec.estimated
    assert spec.encoding == "o200k_base"
    assert parse({"family": family}) == spec
    assert family_spec(family) == spec


@pytest.mark.parametrize(
    ("factor", "expected"),
    [
        (Decimal("1.16"), Decimal("1.16")),  # YAML floats arrive as Decimal
        ("1.16", Decimal("1.16")),
        (1.16, Decimal("1.16")),  # a float goes through repr, not its binary value
        (2, Decimal(2)),
        (Decimal("10"), Decimal(10)),
    ],
)
def test_family_with_factor(factor: object, expected: Decimal) -> None:
    spec = parse({"family": "claude", "factor": factor})
    assert spec.factor == expected
    assert str(spec.factor) == str(expected)
    assert spec.family == "claude"
    assert spec.estimated


def test_unknown_family_is_accepted_as_a_label_only_with_a_factor() -> None:
    spec = parse({"family": "Cohere", "factor": Decimal("1.1")})
    assert spec == TokenizerSpec.estimate("cohere", Decimal("1.1"))
    err = parse_error({"family": "cohere"})
    assert "unknown tokenizer family" in err.message
    assert err.value == "cohere"


def test_encoding_mapping_form() -> None:
    assert parse({"encoding": "cl100k_base"}) == TokenizerSpec.exact("cl100k_base")


def test_misspelt_name_suggests_the_closest() -> None:
    err = parse_error("claud")
    assert "unknown tokenizer" in err.message
    assert err.value == "claud"
    assert err.hint is not None
    assert "did you mean 'claude'?" in err.hint
    assert "o200k_base" in err.hint  # and lists what is known

    err = parse_error("o200k")
    assert err.hint is not None
    assert "did you mean 'o200k_base'?" in err.hint

    err = parse_error({"encoding": "cl100k"})
    assert err.hint is not None
    assert "did you mean 'cl100k_base'?" in err.hint


def test_misspelt_mapping_key_suggests_the_closest() -> None:
    err = parse_error({"family": "claude", "factr": 1.2})
    assert "unknown tokenizer key 'factr'" in err.message
    assert err.hint is not None
    assert "did you mean 'factor'?" in err.hint


@pytest.mark.parametrize(
    "factor", [0, -1, Decimal("10.01"), "abc", True, None, [1.2], Decimal("NaN"), "Infinity"]
)
def test_bad_factor(factor: object) -> None:
    err = parse_error({"family": "claude", "factor": factor})
    assert "factor must be a number greater than 0 and at most 10" in err.message
    assert err.value == factor or (isinstance(factor, Decimal) and factor.is_nan())


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (42, "must be an encoding or family name"),
        (None, "must be an encoding or family name"),
        (["claude"], "must be an encoding or family name"),
        ({}, "needs a 'family'"),
        ({"factor": 1.2}, "needs a 'family'"),
        ({"family": ""}, "non-empty string"),
        ({"family": 3}, "non-empty string"),
        ({"encoding": "o200k_base", "factor": 1.2}, "not both"),
        ({"encoding": "o200k_base", "family": "openai"}, "not both"),
        ({"encoding": 5}, "unknown encoding"),
        ({"family": "openai", "factor": 1.1}, "counted exactly with o200k_base"),
    ],
)
def test_invalid_values(value: object, fragment: str) -> None:
    assert fragment in parse_error(value).message


def test_key_may_be_a_string_and_file_absent() -> None:
    with pytest.raises(InputError) as info:
        parse_tokenizer("nope", file=None, key="tokenizer")
    assert str(info.value).startswith("tokenizer: unknown tokenizer (got 'nope')")


def test_spec_invariants() -> None:
    with pytest.raises(ValueError, match="family"):
        TokenizerSpec(factor=Decimal("1.2"))
    with pytest.raises(ValueError, match="based on o200k_base"):
        TokenizerSpec(encoding="cl100k_base", family="x", factor=Decimal("1.2"))
    with pytest.raises(ValueError, match="factor"):
        TokenizerSpec.estimate("x", Decimal(0))
    with pytest.raises(ValueError, match="unknown encoding"):
        TokenizerSpec(encoding="p50k_base")  # type: ignore[arg-type]


def test_specs_are_hashable_values_with_labels() -> None:
    a = TokenizerSpec.estimate("claude", Decimal("1.2"))
    b = TokenizerSpec.estimate("claude", Decimal("1.20"))
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b, TokenizerSpec()}) == 2
    assert TokenizerSpec().label == "o200k_base"
    assert parse("openai").label == "openai (o200k_base)"
    assert a.label == "claude ~ o200k_base x 1.2 (estimate)"
