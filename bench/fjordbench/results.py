"""The result table: one row per (scenario, metric), a value per system, and the ratio
fjord/peer computed from the same run (this machine's absolute numbers drift between runs)."""
from dataclasses import dataclass, field

SYSTEMS = ("fjord", "tansu", "redis")


@dataclass
class Row:
    scenario: str
    metric: str
    unit: str
    values: dict = field(default_factory=dict)  # system -> float | None
    higher_is_better: bool = True
    target: str = ""
    note: str = ""
    comparable: bool = True  # False: a fact about the run (e.g. host steal), no ratio

    def ratio(self, peer: str) -> float | None:
        f, p = self.values.get("fjord"), self.values.get(peer)
        if not getattr(self, "comparable", True) or f is None or p is None or p == 0:
            return None
        return f / p


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    # Series for the plots: {system: {record_size: (records/s, MB/s)}} and
    # {system: [latency summary dict per rate]}.
    by_size: dict = field(default_factory=dict)
    by_load: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def row(self, scenario: str, metric: str, unit: str, higher_is_better: bool = True,
            target: str = "") -> Row:
        for r in self.rows:
            if r.scenario == scenario and r.metric == metric:
                return r
        r = Row(scenario, metric, unit, {}, higher_is_better, target)
        self.rows.append(r)
        return r

    def put(self, scenario: str, metric: str, unit: str, system: str, value,
            higher_is_better: bool = True, target: str = "", comparable: bool = True) -> None:
        r = self.row(scenario, metric, unit, higher_is_better, target)
        r.comparable = comparable
        r.values[system] = value
        if target:
            r.target = target

    def notice(self, text: str) -> None:
        print(f"NOTICE: {text}", flush=True)
        self.notices.append(text)
