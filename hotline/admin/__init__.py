"""Administration in the pages: users, the org tree, categories and the responsibility table (`do_*`
use-cases; each writes its audit entry in its own transaction)."""
