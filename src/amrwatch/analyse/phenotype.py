"""Phenotype comparison for first weighted isolates, as the AMR R package 3.0.0 does it.

Takes, for the rows of each patient × species group (already in date order), their antibiogram as
a matrix of category ranks; gives `different_antibiogram`, True where an isolate's phenotype makes it
a new first weighted isolate. The rule, from AMR `duplicated_antibiogram()` and
`antimicrobials_equal()` (R/first_isolate.R, R/key_antimicrobials.R, version 3.0.0):

* each antibiogram is a string of S/I/R/"." (SDD counts as I; untested is ".");
* two antibiograms are *equal* when (points) the sum over drugs tested in both of
  S<->I 0.5, I<->R 0.5, S<->R 1 point stays below the threshold, or (key antimicrobials) no key drug
  differs, ignoring drugs that are I in either when `ignore_i`;
* within the group, distinct antibiograms are ordered by completeness (fewest untested first) and
  then alphabetically; the first is never a duplicate, each other one is a duplicate when it is
  equal to every antibiogram compared before it (all earlier ones, and later ones seen more than
  once); repeats of an antibiogram in date order are duplicates;
* AMR's two short cuts are kept because they change flags: a group of two compares its rows in
  date order, and a group whose sorted rows from the third on are all repeats compares only the
  first two sorted antibiograms.

All comparisons are vectorised over every group at once (numpy); the work is one row per pair of
distinct antibiograms inside a group.
"""

from __future__ import annotations

import numpy as np

#: Rank of each category in AMR's string sort (C collation: "." < "I" < "R" < "S").
RANK_UNTESTED, RANK_I, RANK_R, RANK_S = 0, 1, 2, 3


def _pack(ranks: np.ndarray) -> np.ndarray:
    """Pack rank rows (values 0-3) into uint64 words, first drug most significant (string order)."""
    n, k = ranks.shape
    packed = np.zeros((n, max(1, -(-k // 32))), dtype=np.uint64)
    for j in range(k):  # a loop over drugs (32 per word), never over rows
        shift = np.uint64(62 - 2 * (j % 32))
        packed[:, j // 32] |= ranks[:, j].astype(np.uint64) << shift
    return packed


def _distinct(group: np.ndarray, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct antibiograms per group in AMR's order; gives (row -> distinct id, order, starts)."""
    packed = _pack(ranks)
    dots = (ranks == RANK_UNTESTED).sum(axis=1)
    keys = [packed[:, w] for w in range(packed.shape[1] - 1, -1, -1)] + [dots, group]
    order = np.lexsort(keys)
    same = np.ones(len(order), dtype=bool)
    same[0] = False
    same[1:] = (group[order][1:] == group[order][:-1]) & np.all(
        packed[order][1:] == packed[order][:-1], axis=1)
    distinct_sorted = np.cumsum(~same) - 1
    distinct = np.empty(len(order), dtype=np.int64)
    distinct[order] = distinct_sorted
    return distinct, order, np.flatnonzero(~same)


def pair_equal(a: np.ndarray, b: np.ndarray, points: np.ndarray | None, threshold: float,
               ignore_i: bool) -> np.ndarray:
    """AMR `antimicrobials_equal` for rank rows a[i] vs b[i]: points below threshold, or no key change."""
    both = (a != RANK_UNTESTED) & (b != RANK_UNTESTED)
    if points is not None:
        return (np.where(both, points[a, b], 0.0).sum(axis=1)) < threshold
    if ignore_i:
        both &= (a != RANK_I) & (b != RANK_I)
    return ~np.any(both & (a != b), axis=1)


def points_matrix(s_i: float, s_r: float) -> np.ndarray:
    """Points for a change between two ranks (index: RANK_*), from the key_antimicrobials data file."""
    table = np.zeros((4, 4))
    table[RANK_S, RANK_I] = table[RANK_I, RANK_S] = s_i
    table[RANK_I, RANK_R] = table[RANK_R, RANK_I] = s_i
    table[RANK_S, RANK_R] = table[RANK_R, RANK_S] = s_r
    return table


def different_antibiogram(group: np.ndarray, ranks: np.ndarray, points: np.ndarray | None,
                          threshold: float, ignore_i: bool) -> np.ndarray:
    """For rows sorted by (group, date), group a dense id: True where the phenotype is new."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=bool)

    def equal(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return pair_equal(ranks[x], ranks[y], points, threshold, ignore_i)

    distinct, order, _ = _distinct(group, ranks)
    rep = np.unique(distinct, return_index=True)[1]  # first row in date order of each value
    copies = np.bincount(distinct)
    d_group = group[rep]
    d_start = np.r_[0, np.flatnonzero(d_group[1:] != d_group[:-1]) + 1]
    d_count = np.diff(np.r_[d_start, len(rep)])
    d_group_index = np.repeat(np.arange(len(d_start)), d_count)
    j = np.arange(len(rep)) - d_start[d_group_index]  # rank in AMR's sort order
    g_start = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
    g_size = np.diff(np.r_[g_start, n])
    pos = np.arange(n) - np.repeat(g_start, g_size)
    count0 = copies[d_start]

    dup = np.ones(n, dtype=bool)  # later repeats (date order) of a value are duplicates
    short = ~((g_size >= 3) & ~((d_count == 1) | ((d_count == 2) & (count0 == 1))))
    general = np.repeat(~short, d_count)
    j1_direct = general & (j == 1) & (count0 == 1)[d_group_index]
    verdict = _all_equal_to_set(d_start, d_count, j, copies, general & (j >= 1) & ~j1_direct,
                                rep, equal)
    verdict[j == 0] = False
    verdict[j1_direct] = equal(rep[d_start[d_group_index]][j1_direct], rep[j1_direct])
    dup[rep[general]] = verdict[general]

    # AMR's short cuts (groups of two; sorted rows from the third on all repeats): the group's
    # first row in date order is kept, the second gets equal(first two sorted antibiograms).
    pair = np.flatnonzero(short & (g_size >= 2))
    row_short = np.repeat(short, g_size)
    dup[row_short & (pos == 0)] = False
    dup[g_start[pair] + 1] = equal(order[g_start[pair]], order[g_start[pair] + 1])
    return ~dup


def _all_equal_to_set(d_start: np.ndarray, d_count: np.ndarray, j: np.ndarray, copies: np.ndarray,
                      wanted: np.ndarray, rep: np.ndarray, equal) -> np.ndarray:
    """For each wanted distinct value j: equal to all values k<j and to values k>j seen twice."""
    verdict = np.ones(len(j), dtype=bool)
    targets = np.flatnonzero(wanted)
    if targets.size == 0:
        return verdict
    group_of = np.repeat(np.arange(len(d_start)), d_count)
    size = d_count[group_of[targets]]
    pair_target = np.repeat(targets, size)
    offsets = np.arange(len(pair_target)) - np.repeat(np.cumsum(size) - size, size)
    pair_other = d_start[group_of[pair_target]] + offsets
    keep = (j[pair_other] < j[pair_target]) | (
        (j[pair_other] > j[pair_target]) & (copies[pair_other] >= 2))
    pair_target, pair_other = pair_target[keep], pair_other[keep]
    unequal = ~equal(rep[pair_other], rep[pair_target])
    verdict[np.unique(pair_target[unequal])] = False
    return verdict
