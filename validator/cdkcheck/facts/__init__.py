"""Account facts: the read-only interface rules consult (interface), which answers a run used (reads),
and its boto3 implementation with record/replay (live).

May import: cdkcheck.model, cdkcheck.config, cdkcheck.errors, cdkcheck.atomic. Never the engine, rules,
analyzers, reporters or the CLI.
"""
