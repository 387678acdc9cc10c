"""Permission rules: what CloudFormation's principal and the stacks' own services may do."""
