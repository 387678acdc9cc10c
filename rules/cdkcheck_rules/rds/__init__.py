"""RDS instances and clusters: storage, IOPS, parameter group families, subnet group zones. `support` holds engine names and storage types."""
