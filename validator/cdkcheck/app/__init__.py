"""The CDK app and its cloud assembly: running the synth, choosing the interpreter, reading cdk.out,
mapping constructs to source lines.

May import: cdkcheck.model, cdkcheck.config, cdkcheck.errors, cdkcheck.atomic, cdkcheck.template.
Never the engine, the analyzers, account facts, reporters or the CLI.
"""
