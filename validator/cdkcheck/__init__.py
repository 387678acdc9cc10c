"""cdkcheck: a pre-deployment GO / NO-GO gate for AWS CDK apps."""

__version__ = "0.1.0"
