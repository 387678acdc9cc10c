"""`python -m cdkcheck.docs > docs/rules.md`: the rule reference, generated from the rule metadata."""

from __future__ import annotations

import sys

from cdkcheck.rule_docs import rules_markdown


def main() -> None:
    sys.stdout.write(rules_markdown())


if __name__ == "__main__":
    main()
