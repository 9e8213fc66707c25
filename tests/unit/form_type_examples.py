"""The example form types shipped in examples/form-types/, as the tests load them."""

from pathlib import Path
from typing import Any

import yaml

from cabinet_common.form_types.definition import FormTypeDefinition

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "form-types"


def example_document(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    return document


def example(name: str) -> FormTypeDefinition:
    return FormTypeDefinition.model_validate(example_document(name))
