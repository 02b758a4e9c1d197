"""Moto parses every template with PyYAML's pure-Python loader, several times a stack (its own
CreateStack, and cloudformation_rules.py's capability check): with hundreds of stacks that is
most of moto's time. The same full loader in libyaml's C build, when PyYAML has it, reads the
same documents into the same values many times faster.

Imported for its effect by server.py and iam_server.py.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from moto.cloudformation.models import Stack
from moto.cloudformation.utils import yaml_tag_constructor
from yaml.parser import ParserError
from yaml.scanner import ScannerError

if getattr(yaml, "__with_libyaml__", False):
    yaml.add_multi_constructor("", yaml_tag_constructor, Loader=yaml.CLoader)

    def parse_template(template: str) -> dict[str, Any]:
        try:
            return yaml.load(template, Loader=yaml.CLoader)
        except (ParserError, ScannerError):
            return json.loads(template)

    Stack.parse_template = staticmethod(parse_template)  # type: ignore[method-assign]
