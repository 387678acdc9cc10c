"""CloudFront distributions: viewer certificate region, the standard-logging bucket, Lambda@Edge function limits.

`support` walks a distribution's config (certificate, logging, function associations).
"""
