"""What every TFB app shares: the schema and data, request parameters, the fortunes page.

Test rules (TechEmpower Framework Benchmarks, "Test types"):
/db        one World row by a random id (1..10000), as JSON {"id", "randomNumber"};
/queries   N rows (queries=N clamped to 1..500), one query each;
/fortunes  every Fortune row plus one added at request time, sorted by message, HTML-escaped;
/updates   N rows read one by one, each given a new random number, all written (a batch is allowed).
"""

from __future__ import annotations

import random

WORLD_ROWS = 10_000
FORTUNES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "フレームワークのベンチマーク",
]
EXTRA_FORTUNE = "Additional fortune added at request time."


def random_id() -> int:
    return random.randint(1, WORLD_ROWS)


def query_count(raw: str | None) -> int:
    try:
        value = int(raw or "1")
    except ValueError:
        return 1
    return min(max(value, 1), 500)


def create_schema(url: str) -> None:
    """Create and fill world and fortune (psycopg, once, before the servers start)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS world, fortune")
        connection.execute("CREATE TABLE world (id integer PRIMARY KEY, randomnumber integer NOT NULL)")
        connection.execute("CREATE TABLE fortune (id integer PRIMARY KEY, message varchar(2048) NOT NULL)")
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO world (id, randomnumber) VALUES (%s, %s)",
                [(i, random.randint(1, WORLD_ROWS)) for i in range(1, WORLD_ROWS + 1)],
            )
            cursor.executemany("INSERT INTO fortune (id, message) VALUES (%s, %s)", list(enumerate(FORTUNES, start=1)))
        connection.execute("ANALYZE")
