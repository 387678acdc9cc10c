"""Route 53 record sets: records the same deploy would create twice."""
