"""Whole stacks and environments: template limits, deploy duration, names that collide across environments."""
