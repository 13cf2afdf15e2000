"""coverage.top_communes: the axis × commune matrix cut to what fits on a screen. Small frames
built by hand; every expected value below is worked out in the comments, not by the function."""
import pandas as pd
import pytest

from perr_model.figures.coverage import OTHERS, TOTAL, top_communes


def matrix(columns: dict, total: list) -> pd.DataFrame:
    return pd.DataFrame({**columns, TOTAL: total}, index=pd.Index(["Axe 1", "Axe 2"], name="Axe"))


# Column totals (axe 1 + axe 2): Aubervilliers 3, Bobigny 2, Clichy 5, Drancy 4.
# "Total territoire" counts each action once: 5 and 7, not the sums of the rows (6 and 8).
FOUR = matrix({"Aubervilliers": [3, 0], "Bobigny": [1, 1], "Clichy": [0, 5], "Drancy": [2, 2]},
              [5, 7])


def test_keeps_the_highest_communes_first_and_adds_up_the_others():
    got = top_communes(FOUR, 2)
    # top 2: Clichy (5), Drancy (4); the others: Aubervilliers + Bobigny = 3+1, 0+1
    assert list(got.columns) == ["Clichy", "Drancy", OTHERS, TOTAL]
    assert got.loc["Axe 1"].tolist() == [0, 2, 4, 5]
    assert got.loc["Axe 2"].tolist() == [5, 2, 1, 7]
    assert got.index.name == "Axe" and list(got.index) == ["Axe 1", "Axe 2"]
    # each row's communes still add up: 0+2+4 = 3+1+0+2 = 6 ; 5+2+1 = 0+1+5+2 = 8
    assert got.drop(columns=TOTAL).sum(axis=1).tolist() == [6, 8]


def test_a_tie_keeps_the_matrix_order():
    tied = matrix({"Aubervilliers": [1, 1], "Bobigny": [2, 0], "Clichy": [0, 1]}, [3, 2])
    # Aubervilliers and Bobigny both total 2: the matrix's (alphabetical) order decides
    got = top_communes(tied, 1)
    assert list(got.columns) == ["Aubervilliers", OTHERS, TOTAL]
    assert got[OTHERS].tolist() == [2, 1]  # Bobigny + Clichy: 2+0, 0+1


def test_amounts_are_added_as_amounts():
    euros = matrix({"Aubervilliers": [1500.5, 0.0], "Bobigny": [200.0, 99.5],
                    "Clichy": [10.0, 0.25]}, [1600.5, 99.75])
    got = top_communes(euros, 1)
    # Aubervilliers 1500.5 ; the others: 200 + 10 = 210, 99.5 + 0.25 = 99.75
    assert list(got.columns) == ["Aubervilliers", OTHERS, TOTAL]
    assert got[OTHERS].tolist() == pytest.approx([210.0, 99.75])
    assert got[TOTAL].tolist() == [1600.5, 99.75]


@pytest.mark.parametrize("n", [4, 20])
def test_a_matrix_that_fits_is_left_as_it_is(n):
    got = top_communes(FOUR, n)
    assert list(got.columns) == list(FOUR.columns)
    assert got.equals(FOUR)
