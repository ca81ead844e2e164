"""Defences against hostile clients (issue 12, docs/security.md): bounded bodies, login limits and records,
API client keys, browser headers and the Origin check, production start-up checks."""
