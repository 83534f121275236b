"""Write examples/acd_history.csv: a SYNTHETIC ACD interval export, simulated by ccsim from a known scenario.

The known scenario (below, KNOWN): two call types, open 08:00-20:00 every day, 30-min intervals, 4 weeks from
Monday 2 March 2026. 'service': 900 calls on an average day, lognormal handle time 300 s (CV 1), exponential
patience 120 s, day factors Mon 1.25 ... Sun 0.55, gamma busyness CV 0.08. 'billing': 300 calls a day, handle time
420 s, patience 200 s, no weekend calls. Each type has its own team, staffed per interval one agent below Erlang C
for 80/20. One replication is simulated and its calls are counted per interval as an ACD reports them:
offered, answered, abandoned, AHT, ASA, service level (answered within 20 s / (offered - abandoned within 20 s))
and mean agents logged in, written the European way (semicolons, decimal commas, dates DD.MM.YYYY).

    PYTHONPATH=. python examples/make_history.py      # from the repository root
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sim.analysis.analytic import agents_for_service_level
from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS
from sim.api import parse, simulate

DAYS = 28
FIRST = date(2026, 3, 2)  # a Monday
SHARES = [0.04, 0.07, 0.10, 0.11, 0.10, 0.08, 0.08, 0.09, 0.09, 0.09, 0.08, 0.07]  # per hour from 08:00
TYPES = {  # name: (daily volume, AHT s, patience s, day factors Mon..Sun, busyness CV)
    "service": (900.0, 300.0, 120.0, [1.25, 1.10, 1.05, 1.05, 1.0, 0.75, 0.55], 0.08),
    "billing": (300.0, 420.0, 200.0, [1.6, 1.4, 1.4, 1.3, 1.3, 0.0, 0.0], 0.08),
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def staffing(volume: float, aht: float, factors: list[float]) -> list[str]:
    """Staffing tables per weekday: one agent below Erlang C for 80/20 in every 30-min interval."""
    tables = []
    for day, factor in zip(WEEKDAYS, factors, strict=True):
        if factor == 0:
            continue
        agents = []
        for share in SHARES:
            n = max(1, agents_for_service_level(volume * factor * share / 3600.0, aht, 0.8, 20.0) - 1)
            agents += [n, n]
        tables.append(f"      - {{days: [{day}], start: '08:00', resolution: 30min, agents: {agents}}}")
    return tables


def known() -> str:
    """The known scenario, as YAML."""
    lines = ["name: known_history", f"run: {{days: {DAYS}, start_day: mon, replications: 1, seed: 2026, "
             "interval: 30min}", "call_types:"]
    groups = ["agent_groups:"]
    for name, (volume, aht, patience, factors, cv) in TYPES.items():
        dow = ", ".join(f"{d}: {f}" for d, f in zip(WEEKDAYS, factors, strict=True))
        lines += [f"  {name}:", "    arrivals:", f"      daily_volume: {volume}",
                  f"      profile: {{resolution: 1h, start: '08:00', shares: {SHARES}}}",
                  f"      day_of_week: {{{dow}}}", f"      busyness_cv: {cv}",
                  f"    handle_time: {{dist: lognormal, mean: {aht}s, cv: 1.0}}",
                  f"    patience: {{dist: exponential, mean: {patience}s}}"]
        groups += [f"  {name}_team:", f"    skills: [{name}]", "    staffing:", *staffing(volume, aht, factors)]
    return "\n".join(lines + groups) + "\n"


def number(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def main() -> None:
    result = simulate(parse(known()), workers=1)
    facts = result.run.facts[0]
    c = {name: facts.calls[i] for i, name in enumerate(CALL_FIELDS)}  # [intervals, call types]
    agents = facts.groups[GROUP_FIELDS.index("staffed_time")] / 1800.0  # [intervals, groups]
    out = ["date;interval_start;call_type;offered;answered;abandoned;aht_s;asa_s;service_level;agents"]
    for i in range(DAYS * 48):
        day, slot = divmod(i, 48)
        for k, name in enumerate(TYPES):
            if agents[i, k] == 0 and c["offered"][i, k] == 0:
                continue
            answered, abandoned = c["answered"][i, k], c["abandoned"][i, k]
            sl_den = answered + abandoned - c["abandoned_within"][i, k]
            fields = [(FIRST + timedelta(days=day)).strftime("%d.%m.%Y"), f"{slot // 2:02d}:{30 * (slot % 2):02d}",
                      name, f"{c['offered'][i, k]:.0f}", f"{answered:.0f}", f"{abandoned:.0f}",
                      number(c["handle_sum"][i, k] / answered) if answered else "",
                      number(c["wait_answered_sum"][i, k] / answered) if answered else "",
                      number(c["answered_within"][i, k] / sl_den) if sl_den else "",
                      number(agents[i, k])]
            out.append(";".join(fields))
    path = Path(__file__).with_name("acd_history.csv")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {path}: {len(out) - 1} rows")


if __name__ == "__main__":
    main()
