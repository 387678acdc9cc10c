"""Updates of stacks that exist: replacements of named or protected resources, data loss, storage decreases, engine downgrades, logical id refactors. `common` holds what they share."""
