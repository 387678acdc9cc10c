"""ECS services: load balancer target groups that the task's network mode cannot register in."""
