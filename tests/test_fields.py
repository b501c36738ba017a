"""Form fields never raise on what is typed, and accept only ASCII decimal digits as
numbers (``str.isdigit`` accepts ``²``, ``①`` and ``٧``, which ``int`` refuses or reads
as another number)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.protocol import catalog
from app.protocol.catalog import Param, ParamError, ParamKind
from app.protocol.syntax import parse_int
from widgets.fields import ParamValidator

#: Every parameter a form field can be built on (all the catalog's parameters).
PARAMS: list[Param] = sorted(
    {p for _spec, form in catalog.all_forms() for p in form.params}
    | {v for v in vars(catalog).values() if isinstance(v, Param)},
    key=lambda p: (p.name, p.kind.value, p.min or 0, p.max or 0),
)
INT_PARAMS = [p for p in PARAMS if p.kind is ParamKind.INT]

NASTY = ["--5", "-", "+", "²", "①", "٧", "7٧", "１２", "1_000", " 1 2 ", "0x10", "1e3", "5-"]


@pytest.mark.parametrize("text", NASTY)
@pytest.mark.parametrize("param", INT_PARAMS, ids=lambda p: p.name)
def test_nasty_numbers_are_refused_not_raised(param: Param, text: str) -> None:
    validator = ParamValidator(param)
    result = validator.validate(text)
    assert not result.is_valid
    assert any("not a number" in d for d in result.failure_descriptions), result
    with pytest.raises(ParamError):
        validator.parse(text)


@pytest.mark.parametrize(
    ("text", "value"), [("7", 7), (" 42 ", 42), ("-3", -3), ("+8", 8), ("007", 7)]
)
def test_ascii_numbers_parse(text: str, value: int) -> None:
    assert parse_int(text) == value


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=12), index=st.integers(min_value=0))
def test_any_text_in_any_field_never_raises(text: str, index: int) -> None:
    param = PARAMS[index % len(PARAMS)]
    for optional in (False, True):
        result = ParamValidator(param, optional=optional).validate(text)
        if result.is_valid and param.kind is ParamKind.INT and text.strip():
            stripped = text.strip().lstrip("+-")
            assert stripped.isascii() and stripped.isdigit(), (param.name, text)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(categories=["Nd", "No", "Pd", "Zs"]), max_size=8))
def test_digit_lookalikes_never_raise(text: str) -> None:
    for param in INT_PARAMS:
        result = ParamValidator(param).validate(text)
        if result.is_valid:
            assert text.strip().lstrip("+-").isascii()
