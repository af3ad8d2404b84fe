"""The Spark template (5.1) on the real kernel: the same analysis on the demo replica and on a real Spark
Connect server reading it, the same numbers, and a second run that touches neither."""
from __future__ import annotations

import re
from pathlib import Path

from conftest import psql
from test_notebooks import code_text, run_template, sandbox, table_rows  # noqa: F401 (sandbox: a fixture)


def test_scale_out_with_spark_gives_the_replicas_numbers_and_reruns_from_cache(demo_replica, sandbox, spark_server):
    settings = demo_replica["env"]
    target = f"{settings['RDS_USERNAME']}@127.0.0.1:{settings['RDS_PORT']}/{settings['RDS_DB_NAME']}"
    per_kind = sorted(line.split("|") for line in psql(settings, "SELECT kind, count(*) FROM events GROUP BY kind").splitlines())

    first = run_template("5.1")
    texts = code_text(first)
    everything = "\n".join(texts)
    assert settings["RDS_PASSWORD"] not in everything

    # The plan: split on the key, bounds from the index, on the demo's one replica.
    plan = next(t for t in texts if "partitions on id" in t or "partition:" in t)
    assert "bounds from the index" in plan and f"127.0.0.1:{settings['RDS_PORT']} reads" in plan, plan

    # Both ways, fresh: the replica's line names the replica, Spark's says "via Spark".
    loads = [t for t in texts if "rows ×" in t]
    assert any(f"from {target} in " in t for t in loads), loads
    assert any(f"from {target} via Spark in " in t for t in loads), loads

    # The notebook's own comparison, and the DataFrame API's counts per kind against psql.
    assert re.search(r"(\d+) rows on the replica, \1 on Spark; the same days, kinds and counts: true", everything), everything
    shown = sorted([r[0], r[1]] for r in table_rows(texts[-2]))
    assert shown == per_kind, f"notebook: {shown}\nreplica: {per_kind}"

    # The snapshot was taken under the Spark folder, and the chart drawn from it.
    assert list(Path(spark_server, "snapshots").glob("events-*.json")), "no snapshot record"
    assert "read from its snapshot taken" in texts[-1] or "snapshot" in texts[-1], texts[-1]

    # Again: every result from the cache, nothing read from the replica or computed on Spark.
    second = code_text(run_template("5.1"))
    again = [t for t in second if "rows ×" in t]
    assert again and all(" from cache, fetched " in t for t in again), again
