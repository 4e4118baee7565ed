"""`amrwatch codes ...`, `amrwatch refdata import-whonet` and `amrwatch bench codes` as users run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.csv as pacsv
from typer.testing import CliRunner

from amrwatch.cli.main import app
from amrwatch.errors import AmrwatchError


def run(*args: str, home: str) -> object:
    """In process (the vocabulary loads once for all tests); errors surface as exceptions."""
    return CliRunner().invoke(app, list(args), env={"AMRWATCH_HOME": home, "COLUMNS": "200"})


def amrwatch_cli(*args: str, home: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200")
    if home:
        env["AMRWATCH_HOME"] = home
    return subprocess.run([sys.executable, "-m", "amrwatch", *args], capture_output=True,
                          text=True, timeout=180, env=env, check=False)


def test_resolve_four_spellings_of_e_coli(tmp_path):
    # The real entry point, once: a console script run like a user does.
    result = amrwatch_cli("codes", "resolve", "E. coli", "eco", "B_ESCHR_COLI", "112283007", "--json",
                          home=str(tmp_path))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {row["mo"] for row in rows} == {"B_ESCHR_COLI"}
    table = run("codes", "resolve", "E. coli", "eco", "Eschericia colli", home=str(tmp_path))
    assert "Escherichia coli" in table.stdout and "check" in table.stdout


def test_resolve_antimicrobials_with_coding(tmp_path):
    result = run("codes", "resolve", "-a", "--coding", "whonet", "STR", "amoxicilina/ác. clavulánico",
                 "--json", home=str(tmp_path))
    assert [row["ab"] for row in json.loads(result.stdout)] == ["STR1", "AMC"]
    bad = run("codes", "resolve", "-a", "--coding", "nope", "STR", home=str(tmp_path))
    assert isinstance(bad.exception, AmrwatchError) and bad.exception.exit_code == 2


def test_review_lists_unresolved_and_uncertain_terms_with_counts(tmp_path):
    path = tmp_path / "isolates.csv"
    bacteria = ["E. coli"] * 5 + ["Eschericia colli"] * 3 + ["zzkq"] * 2 + ["ASA"]
    pacsv.write_csv(pa.table({"id": [str(i) for i in range(len(bacteria))], "Organismo": bacteria}), path)
    result = run("codes", "review", str(path), "--json", home=str(tmp_path))
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["Organismo"]
    assert [(row["term"], row["count"]) for row in rows] == [("Eschericia colli", 3), ("zzkq", 2), ("ASA", 1)]
    assert rows[0]["suggestions"][0]["code"] == "B_ESCHR_COLI"
    text = run("codes", "review", str(path), home=str(tmp_path))
    assert "Eschericia colli" in text.stdout and "E. coli " not in text.stdout
    missing = run("codes", "review", str(path), "--column", "nope", home=str(tmp_path))
    assert isinstance(missing.exception, AmrwatchError) and "Column not in file" in str(missing.exception)


def test_import_whonet_command(whonet_dir, tmp_path):
    result = run("refdata", "import-whonet", str(whonet_dir), home=str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "whonet" / "MANIFEST.json").is_file()
    assert "breakpoints" in result.stdout
    bad = amrwatch_cli("refdata", "import-whonet", str(tmp_path / "nowhere"), home=str(tmp_path))
    assert bad.returncode == 2 and "WHONET folder not found" in bad.stderr


def test_bench_codes_prints_throughput(tmp_path):
    result = run("bench", "codes", "--values", "20000", "--distinct", "100", home=str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "values/s" in result.stdout


def test_review_headers_of_a_whonet_export(tmp_path):
    from amrwatch.refdata import table
    from amrwatch.tables import write_table

    path = tmp_path / "whonet.tsv"
    write_table(table("WHONET"), path)
    result = run("codes", "review", str(path), "--headers", "--json", "--limit", "100", home=str(tmp_path))
    listed = {row["term"] for row in json.loads(result.stdout)["(column names)"]}
    assert "AMP_ND10" not in listed and "SXT_ED1.2" not in listed  # test columns all resolve
    assert {"Organism", "Specimen date"} <= listed  # the rest is not an antimicrobial


def test_review_template_filled_in_becomes_the_lab_mapping(tmp_path):
    path = tmp_path / "isolates.csv"
    pacsv.write_csv(pa.table({"organismo": ["bact. coli"] * 4 + ["zzkq"] * 2 + ["E. coli"]}), path)
    template = tmp_path / "mapping.tsv"
    result = run("codes", "review", str(path), "--template", str(template), home=str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = template.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["term", "count", "reason", "became", "suggestions", "maps_to"]
    # the data manager fills in maps_to for one term: a scientific name
    filled = [lines[0]] + [line + ("Escherichia coli" if line.startswith("bact. coli") else "")
                           for line in lines[1:]]
    template.write_text("\n".join(filled) + "\n", encoding="utf-8")
    again = run("codes", "review", str(path), "--mapping", str(template), "--json", home=str(tmp_path))
    assert [row["term"] for row in json.loads(again.stdout)["organismo"]] == ["zzkq"]
    resolved = run("codes", "resolve", "BACT. COLI", "--mapping", str(template), "--json", home=str(tmp_path))
    row = json.loads(resolved.stdout)[0]
    assert (row["mo"], row["matched_on"], row["reason"]) == ("B_ESCHR_COLI", "mapping", "mapped")
    template.write_text("term\tmaps_to\nzzkq\tEschericia colli\n", encoding="utf-8")  # fuzzy target
    bad = run("codes", "resolve", "zzkq", "--mapping", str(template), home=str(tmp_path))
    assert isinstance(bad.exception, AmrwatchError) and "does not name one code" in str(bad.exception)
