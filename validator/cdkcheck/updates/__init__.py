"""What a deploy does to stacks that exist already: the deployed template compared with the synthesized one.

May import: cdkcheck.model, cdkcheck.errors, cdkcheck.facts.interface, cdkcheck.template.
Never the engine, analyzers, reporters or the CLI.
"""
