"""The deal network: firms (and fringe nodes) linked by one edge per live deal (docs/odd.md).

A `networkx.MultiDiGraph` with an edge source -> target keyed by `deal_id` (party convention of
`world.contracts`), carrying the deal's kind, value, status and exclusivity. It answers who is
tied to whom, each firm's outside options, value-weighted centrality, and the "circular" money
cycles of facts.toml D1 and fact 6 (an investor's money returning to it as purchases).
Everything is returned in sorted order so a seed always gives the same bytes.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from world.contracts import Deal
from world.params import DealKind

INVESTMENT_KINDS = (DealKind.EQUITY, DealKind.WARRANT)
"""Deal kinds whose money flows source -> target (investor -> investee)."""


class DealNetwork:
    """Firms and the live deals between them.

    Args:
        nodes: initial node names (firms and fringe); nodes named by deals are added on demand.
    """

    def __init__(self, nodes: list[str] | None = None) -> None:
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.graph.add_nodes_from(sorted(nodes or []))
        self._ends: dict[str, tuple[str, str]] = {}

    @property
    def nodes(self) -> list[str]:
        """Node names, sorted."""
        return sorted(self.graph.nodes)

    def update_add_deal(self, deal: Deal) -> None:
        """Insert or refresh the edge of `deal` (upsert by `deal_id`).

        A terminal deal is not an edge: adding one removes its edge if present. Call again
        after a status change to refresh the edge's attributes.
        """
        self.update_remove_deal(deal.deal_id)
        if deal.is_terminal:
            return
        self.graph.add_edge(
            deal.source,
            deal.target,
            key=deal.deal_id,
            kind=deal.kind,
            value_usd_b=float(deal.value_usd_b),
            status=deal.status,
            exclusive=deal.exclusive,
        )
        self._ends[deal.deal_id] = (deal.source, deal.target)

    def update_remove_deal(self, deal_id: str) -> None:
        """Remove the edge of `deal_id`; a no-op if it is not in the network."""
        ends = self._ends.pop(deal_id, None)
        if ends is not None:
            self.graph.remove_edge(ends[0], ends[1], key=deal_id)

    def edges_of(self, firm: str, kind: DealKind | None = None) -> list[dict[str, Any]]:
        """Edges touching `firm` (either direction), optionally of one kind, in deal-id order.

        Each edge is a dict: deal_id, source, target, kind, value_usd_b, status, exclusive.
        """
        if firm not in self.graph:
            return []
        rows = []
        for u, v, key, data in list(self.graph.out_edges(firm, keys=True, data=True)) + list(
            self.graph.in_edges(firm, keys=True, data=True)
        ):
            if kind is None or data["kind"] is kind:
                rows.append({"deal_id": key, "source": u, "target": v, **data})
        return sorted(rows, key=lambda r: r["deal_id"])

    def compute_partners(self, firm: str, kind: DealKind | None = None) -> list[str]:
        """Sorted counterparties of `firm` through live deals (of `kind` if given)."""
        if firm not in self.graph:
            return []
        graph = self.graph  # the ends of its edges from the adjacency, without edge views
        return sorted(
            {v for v, edges in graph.succ[firm].items()
             if kind is None or any(d["kind"] is kind for d in edges.values())}
            | {u for u, edges in graph.pred[firm].items()
               if kind is None or any(d["kind"] is kind for d in edges.values())}
        )

    def compute_bound_to(self, firm: str, kind: DealKind) -> list[str]:
        """Sources of live exclusive deals of `kind` whose target is `firm` (sorted).

        Rule: an exclusive deal binds its target to its source in that kind (e.g. a lab's
        exclusive cloud contract, facts.toml D5 before 2025).
        """
        if firm not in self.graph:
            return []
        return sorted(
            {
                u
                for u, edges in self.graph.pred[firm].items()  # its in-edges by source
                if any(d["kind"] is kind and d["exclusive"] for d in edges.values())
            }
        )

    def compute_outside_options(
        self, firm: str, candidates: list[str], kind: DealKind, values: dict[str, float]
    ) -> list[tuple[str, float]]:
        """The firm's alternatives in `kind`, best first: (candidate, value) by value, then name.

        Excluded: the firm itself; candidates absent from `values`; if the firm is exclusively
        bound (see `compute_bound_to`), every candidate but the sources it is bound to; and any
        candidate exclusively bound to a source other than the firm. Values are in whatever
        unit the caller uses (e.g. USD B of surplus).
        """
        mine = set(self.compute_bound_to(firm, kind))
        out = []
        for cand in sorted(set(candidates)):
            if cand == firm or cand not in values:
                continue
            if mine and cand not in mine:
                continue
            theirs = set(self.compute_bound_to(cand, kind))
            if theirs and firm not in theirs:
                continue
            out.append((cand, float(values[cand])))
        return sorted(out, key=lambda cv: (-cv[1], cv[0]))

    def compute_centrality(self) -> dict[str, float]:
        """Value-weighted degree centrality: each node's sum of live deal values (in and out),
        divided by the sum over all nodes (so values sum to 1; all zeros if no value).

        Keys sorted by name.
        """
        strength = {n: 0.0 for n in sorted(self.graph.nodes)}
        for u, v, data in sorted(self.graph.edges(data=True), key=lambda e: (e[0], e[1])):
            strength[u] += data["value_usd_b"]
            strength[v] += data["value_usd_b"]
        total = sum(strength.values())
        if total <= 0.0:
            return {n: 0.0 for n in strength}
        return {n: s / total for n, s in strength.items()}

    def compute_invested(self) -> dict[tuple[str, str], float]:
        """Committed investment per (investor, investee): live equity and warrant edge values."""
        out: dict[tuple[str, str], float] = {}
        for u, v, data in self.graph.edges(data=True):
            if data["kind"] in INVESTMENT_KINDS:
                out[(u, v)] = out.get((u, v), 0.0) + data["value_usd_b"]
        return dict(sorted(out.items()))

    def compute_money_cycles(
        self,
        paid: dict[tuple[str, str], float],
        invested: dict[tuple[str, str], float] | None = None,
        max_length: int = 4,
    ) -> list[dict[str, Any]]:
        """Circular money: investment that comes back to the investor as payments.

        Args:
            paid: USD B paid per (payer, payee) for goods and services (chips, cloud), e.g.
                `Ledger.compute_pair_totals([CHIP_PAYMENT, CLOUD_PAYMENT])`.
            invested: USD B invested per (investor, investee); defaults to the committed
                values of live equity/warrant edges (`compute_invested`). Completed deals
                leave the network, so for a run's history pass the ledger's flows,
                `Ledger.compute_pair_totals([EQUITY_INVESTMENT])` (money actually paid).
            max_length: longest cycle reported (number of firms).

        Returns:
            First, for each investor-investee pair with payments investee -> investor, a dict
            {cycle: (investor, investee), length: 2, invested_usd_b, paid_back_usd_b,
            circular_usd_b = min(invested, paid back)} (facts.toml D1, fact 6). Then every longer
            simple cycle (3..max_length) of the money-direction graph (investment plus payment
            edges, each edge weighted by its total) that uses at least one investment edge:
            {cycle (rotated to start at its smallest name), length, invested_usd_b (sum of its
            investment edges), paid_back_usd_b (min of its payment edges), circular_usd_b (min
            edge amount around the cycle)}. Pairs sorted by names, cycles by (length, names).
        """
        inv = self.compute_invested() if invested is None else invested
        return _compute_pair_cycles(inv, paid) + _compute_longer_cycles(inv, paid, max_length)


def _compute_pair_cycles(
    inv: dict[tuple[str, str], float], paid: dict[tuple[str, str], float]
) -> list[dict[str, Any]]:
    """Two-firm cycles: an investment paid back by the investee (`compute_money_cycles`)."""
    rows: list[dict[str, Any]] = []
    for (investor, investee), amount in sorted(inv.items()):
        back = paid.get((investee, investor), 0.0)
        if amount > 0.0 and back > 0.0:
            rows.append(
                {
                    "cycle": (investor, investee),
                    "length": 2,
                    "invested_usd_b": amount,
                    "paid_back_usd_b": back,
                    "circular_usd_b": min(amount, back),
                }
            )
    return rows


def _compute_money_graph(
    inv: dict[tuple[str, str], float], paid: dict[tuple[str, str], float]
) -> nx.DiGraph:
    """Money-direction graph: one edge per (from, to) pair carrying its total `amount` and
    the `investment` and `payment` parts of it; self-flows and non-positive amounts dropped."""
    money = nx.DiGraph()
    for source, flows in (("investment", inv), ("payment", paid)):
        for (u, v), amount in sorted(flows.items()):
            if amount <= 0.0 or u == v:
                continue
            if not money.has_edge(u, v):
                money.add_edge(u, v, amount=0.0, investment=0.0, payment=0.0)
            money[u][v]["amount"] += amount
            money[u][v][source] += amount
    return money


def _compute_longer_cycles(
    inv: dict[tuple[str, str], float], paid: dict[tuple[str, str], float], max_length: int
) -> list[dict[str, Any]]:
    """Cycles of 3..`max_length` firms using at least one investment edge
    (`compute_money_cycles`), sorted by (length, names)."""
    money = _compute_money_graph(inv, paid)
    longer = []
    for cyc in nx.simple_cycles(money, length_bound=max_length):
        if len(cyc) < 3:
            continue
        start = cyc.index(min(cyc))
        cyc = cyc[start:] + cyc[:start]
        edges = [money[cyc[k]][cyc[(k + 1) % len(cyc)]] for k in range(len(cyc))]
        invest = sum(e["investment"] for e in edges)
        if invest <= 0.0:
            continue
        pays = [e["payment"] for e in edges if e["payment"] > 0.0]
        longer.append(
            {
                "cycle": tuple(cyc),
                "length": len(cyc),
                "invested_usd_b": invest,
                "paid_back_usd_b": min(pays) if pays else 0.0,
                "circular_usd_b": min(e["amount"] for e in edges),
            }
        )
    longer.sort(key=lambda r: (r["length"], r["cycle"]))
    return longer
