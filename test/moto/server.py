"""moto server with what CloudFormation enforces and moto does not (test/moto/cloudformation_rules.py).

test/moto/server.mjs starts every moto server of the tests through it, or through
iam_server.py, which adds IAM enforcement on top.
"""

from __future__ import annotations

import sys

import cloudformation_rules  # noqa: F401  (patches moto's CloudFormation on import)
import service_linked_roles  # noqa: F401  (AWS's names for service-linked roles)
import template_parsing  # noqa: F401  (templates read by libyaml's C loader)
from moto.server import main

if __name__ == "__main__":
    main(sys.argv[1:])
