"""Export the categories staff settled on, as the `text,label` CSV `hotline classifier train` reads.

A ticket counts when a person chose its category (the operator, or a dispatcher correcting or
confirming it at the dispatch gate), or when the classifier's choice carried it to a close with no
return or re-route: the model's own unconfirmed guesses are not fed back as labels. Besides
`text,label` each row says who settled the category and when (`label_source`: dispatcher, operator
or closed; `labelled_by`, the dispatcher's or operator's name; `labelled_at`), which
`hotline classifier train` ignores. Phone and ID numbers are masked, and no cell runs as a formula in a
spreadsheet: the file leaves the system.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import asyncpg

from classifier.text import clean
from hotline.exports.cells import csv_row
from hotline.queries import Q


async def export_training_data(conn: asyncpg.Connection, path: Path, since: datetime | None) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label", "label_source", "labelled_by", "labelled_at", "created_at"])
        async with conn.transaction():  # a server-side cursor: a city's history need not fit in memory
            async for row in conn.cursor(Q.settled_categories, since):
                labelled_at = row["labelled_at"].isoformat() if row["labelled_at"] else ""
                writer.writerow(
                    csv_row(
                        [clean(row["content"]), row["label"], row["label_source"], row["labelled_by"], labelled_at,
                         row["created_at"].isoformat()]
                    )
                )  # fmt: skip
                count += 1
    return count
