"""Account facts: the read-only interface rules consult (interface), which answers a run used (reads),
and its boto3 implementation with record and replay (live).

interface and reads may import only cdkcheck.model and cdkcheck.errors; live may also import cdkcheck.config,
cdkcheck.atomic and cdkcheck.template (secret ids, redaction). None of them imports the engine, rules,
analyzers, reporters or the CLI.
"""
