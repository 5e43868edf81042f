"""HTTP routers, one per resource; thin: parse, call a service, wrap in the envelope."""
