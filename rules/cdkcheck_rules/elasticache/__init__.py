"""ElastiCache replication groups and clusters: encryption, Multi-AZ, node counts and types. `support` reads cluster settings."""
