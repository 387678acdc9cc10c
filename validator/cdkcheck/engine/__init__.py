"""The run itself: select stacks per environment, run analyzers and rules, apply the blocking policy and
suppressions, decide the verdict (pipeline, rule runner, policy, suppressions, verdict, cross-environment checks).

May import anything below it (model, config, app, template, updates, analyzers, facts, cdkcheck_rules).
Never reporters or the CLI: the engine returns a RunResult and formats nothing.
"""
