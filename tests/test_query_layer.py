"""The named-query layer: a SQL file per question, called with exactly its parameters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import duckdb
import polars as pl
import pytest
from metrics_fixture import G1, T1, open_metrics_db

from warmvisits import queries
from warmvisits.metrics import KEY_QUERIES

AS_OF = datetime(2023, 3, 31, 23, 59, 59)
# the parameters every kpi query is called with (a query takes a subset; see its header)
VALUES = {"quarter": "2023Q1", "scope": T1, "as_of": AS_OF, "yellow_share": 0.25}
KPI_QUERIES = [name for name in queries.available() if name.startswith("kpi_")]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = open_metrics_db()
    yield c
    c.close()


def test_parameters_are_read_from_the_sql_not_comments_or_strings():
    sql = "-- $not_this\nselect '$nor_this', \"$col\" from t where a = $quarter and b = $scope /* $x */"
    assert queries.parameters_of(sql) == {"quarter", "scope"}


def test_kpi_queries_declare_the_expected_parameters():
    assert queries.load("kpi_coverage").params == {"quarter", "scope"}
    assert queries.load("kpi_cases_received").params == {"quarter", "scope", "as_of"}
    assert queries.load("kpi_open_cases").params == {"scope", "as_of"}
    assert queries.load("kpi_backlog_by_level").params == {"scope", "as_of", "yellow_share"}
    assert queries.load("kpi_as_of").params == {"quarter"}
    assert queries.load("kpi_quarters").params == frozenset()


def test_refuses_a_missing_parameter(con):
    with pytest.raises(queries.QueryError, match="missing"):
        queries.run(con, "kpi_coverage", quarter="2023Q1")


def test_refuses_an_unexpected_parameter(con):
    with pytest.raises(queries.QueryError, match="unexpected"):
        queries.run(con, "kpi_coverage", quarter="2023Q1", scope="", as_of=AS_OF)


def test_refuses_unknown_and_malformed_names(con):
    with pytest.raises(queries.QueryError):
        queries.run(con, "kpi_no_such_question")
    with pytest.raises(queries.QueryError):
        queries.run(con, "../queries/kpi_coverage")


def test_bound_parameters_are_values_not_sql(con):
    # an injection attempt is just a scope that matches nothing
    df = queries.run(con, "kpi_coverage", quarter="2023Q1", scope="' or 1=1 --")
    assert df["registered_households"].to_list() == [0]
    assert queries.run(con, "kpi_scope", scope="' or ''='").height == 0


def test_returns_polars(con):
    df = queries.run(con, "kpi_coverage", quarter="2023Q1", scope=G1)
    assert isinstance(df, pl.DataFrame)
    assert df.row(0, named=True)["registered_households"] == 5


def _extra(name: str) -> dict:
    """kpi_callbacks also reads the app's recorded outcomes, registered on its cursor."""
    from warmvisits.metrics import callback_relations

    return {"relations": callback_relations(None)} if name == "kpi_callbacks" else {}


@pytest.mark.parametrize("name", KPI_QUERIES)
def test_every_kpi_query_documents_itself_and_runs(con, name):
    q = queries.load(name)
    first = q.sql.lstrip().splitlines()[0]
    assert first.startswith("-- "), f"{name}.sql must open with a comment saying its question"
    for p in q.params:
        assert f"${p}" in q.doc, f"{name}.sql's header must name its parameter ${p}"
    df = queries.run(con, name, **_extra(name), **{p: VALUES[p] for p in q.params})
    assert isinstance(df, pl.DataFrame)


def test_every_metric_key_has_a_query_returning_it(con):
    finished_in_python = {"km_median_days", "satisfaction_ci_low", "satisfaction_ci_high"}
    for key, name in KEY_QUERIES.items():
        q = queries.load(name)
        df = queries.run(con, name, **_extra(name), **{p: VALUES[p] for p in q.params})
        if key not in finished_in_python:
            assert key in df.columns, f"{name} does not return {key}"
