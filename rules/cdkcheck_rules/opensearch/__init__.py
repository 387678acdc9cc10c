"""OpenSearch Service domains: node counts, zones, EBS limits, access policies, fine-grained access control and standby. `support` reads domain settings."""
