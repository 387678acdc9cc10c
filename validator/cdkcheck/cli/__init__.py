"""The command line: parse arguments, call the engine, hand the result to a reporter, set the exit code
(main), and the commands around a check (init, snapshot, docs).

May import everything. Nothing imports the CLI.
"""
