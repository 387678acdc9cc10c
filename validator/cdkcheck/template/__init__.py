"""What a synthesized template says, and what follows from it without an account: intrinsic
resolution, registry schemas, named resources, secret references, subnet capacity, deploy duration,
placeholders and secret redaction.

May import: cdkcheck.model, cdkcheck.errors, cdkcheck.facts.interface (the read-only account view some
derivations accept). Never the engine, the app/synth, analyzers, reporters or the CLI.
"""
