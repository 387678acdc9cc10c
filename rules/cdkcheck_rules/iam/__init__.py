"""IAM and resource policies: policy document size limits, principals the same deploy has not created yet.

`support` measures policy documents the way IAM does and finds what a resource waits for.
"""
