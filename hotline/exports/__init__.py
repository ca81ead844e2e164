"""Files that leave the system (spreadsheets, CSV): every cell written through `cells`, so none runs as a formula."""
