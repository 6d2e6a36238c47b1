"""Dubbo's registry and cluster: URLs, ZooKeeper, export, provider directory, channel pool,
load balancing and cluster modes. Built on the core; imports neither client nor server."""
