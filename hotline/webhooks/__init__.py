"""Outbound webhooks: a unit's (or a person's) own endpoint gets a signed JSON POST for the ticket events it
subscribed to, so a city connects its SMS platform or work messenger without code (docs/realtime.md)."""
