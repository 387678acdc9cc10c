"""`cdkcheck why`: after a failed deploy, the root cause, where it is in the app, and whether the gate
would have caught it.

events (stack events from a file or the API), operations (the history cut into operations), analysis
(root causes and what was still in progress), template (dependency graph), catalogue (failure reasons
tied to the rule that covers them, with sources), gate (cdkcheck's checks re-run on the template),
records (one line per failure for a corpus), report (plain records for the reporters), explain (puts it
together).

May import the model, config, errors, app (assembly, synth, source map), facts (the stack history reader)
and the engine (to re-run the checks). Never reporters or the CLI.
"""
