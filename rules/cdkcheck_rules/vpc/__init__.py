"""Subnets and their address space: IP capacity against what is placed in them, CIDRs, default quotas that bound capacity."""
