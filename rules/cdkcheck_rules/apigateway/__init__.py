"""API Gateway REST APIs: deployments created before the API has a method."""
