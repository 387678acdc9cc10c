"""S3 buckets: bucket policies Block Public Access refuses."""
