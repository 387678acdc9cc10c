"""`python -m cdkcheck.cli.docs > docs/rules.md`: the rule reference, generated from the rule metadata."""

from __future__ import annotations

import sys

from cdkcheck.cli.rule_reference import rules_markdown


def main() -> None:
    sys.stdout.write(rules_markdown())


if __name__ == "__main__":
    main()
