"""The durable board outbox: board events stored with the change that caused them, relayed to Redis after."""
