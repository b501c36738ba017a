"""Form fields validated as you type against the spec's ranges (the catalog)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label

from app.protocol.catalog import Param, ParamError


class ParamValidator(Validator):
    """Checks an Input's text with a catalog parameter; the failure message names
    the parameter, the value and the spec's range."""

    def __init__(self, param: Param, *, optional: bool = False) -> None:
        super().__init__()
        self.param = param
        self.optional = optional

    def parse(self, text: str) -> int | str | None:
        return self.param.from_text(text)

    def validate(self, value: str) -> ValidationResult:
        try:
            parsed = self.parse(value)
            if parsed is None:
                if self.optional:
                    return self.success()
                raise ParamError(self.param.name, "", self.param.allowed(), "required")
            self.param.check(parsed)
        except ParamError as exc:
            return self.failure(str(exc))
        return self.success()


class Field(Horizontal):
    """``Label  [Input]`` on one line."""

    DEFAULT_CSS = """
    Field { height: auto; width: 1fr; }
    Field > Label { width: auto; padding: 0 1 0 0; color: $text-muted; }
    Field > Input { width: 1fr; }
    """

    def __init__(self, label: str, field: Input, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label
        self.input = field

    def compose(self) -> ComposeResult:
        yield Label(self.label)
        yield self.input


def param_input(
    param: Param,
    *,
    value: str = "",
    placeholder: str = "",
    optional: bool = False,
    id: str | None = None,
) -> Input:
    return Input(
        value=value,
        placeholder=placeholder or param.allowed(),
        validators=[ParamValidator(param, optional=optional)],
        validate_on=["changed", "submitted", "blur"],
        id=id,
        tooltip=param.help + f" Range: {param.allowed()}.",
        compact=True,
    )


def problems(*inputs: Input) -> list[str]:
    """Validation messages of ``inputs`` (empty when every one is valid)."""
    out: list[str] = []
    for field in inputs:
        result = field.validate(field.value)
        if result is not None and not result.is_valid:
            out.extend(result.failure_descriptions)
    return out


def value_of(field: Input) -> int | str | None:
    """The parsed value of a validated input (int for integer parameters)."""
    for validator in field.validators:
        if isinstance(validator, ParamValidator):
            return validator.parse(field.value)
    return field.value.strip() or None
