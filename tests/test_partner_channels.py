"""Campaigns, chats and work items worked at a partner site, priced per unit: the invoice counts exactly what the
partner's own agents did (from the records), and a partner whose contract cannot pay for such work is refused
with the group and the work named."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.experiment import run
from sim.analysis.summary import kpi_rows
from sim.economics.billing import COMPONENTS
from sim.engine.dialer import ATTEMPT_OUTCOMES
from sim.engine.layout import build_layout
from sim.engine.records import ANSWERED
from sim.errors import ScenarioError
from sim.scenario.loader import parse_scenario
from tests.helpers import facts_and_records, scenario

PARTNER = """
name: partner_channels
run: {days: 1, replications: 3, seed: 77, interval: 30min}
call_types:
  phone:
    arrivals: {rate_per_hour: 30}
    handle_time: {dist: exponential, mean: 4min}
    patience: {dist: exponential, mean: 3min}
sites:
  home: {kind: in_house}
  bpo:
    kind: partner
    contract: {per_chat: 2.5, per_item: 1.8, per_contact: 3, per_sale: 12, revenue_share: 0.1, monthly_fee: 600}
agent_groups:
  desk: {site: home, skills: [phone], agents: 4, cost_per_hour: 40}
  bpo_chat: {site: bpo, skills: [], shifts: [{start: "08:00", end: "18:00", agents: 3}]}
  bpo_mail: {site: bpo, skills: [], shifts: [{start: "08:00", end: "16:00", agents: 2}]}
  bpo_sales: {site: bpo, skills: [], shifts: [{start: "09:00", end: "17:00", agents: 3}]}
  home_mail: {site: home, skills: [], cost_per_hour: 40, shifts: [{start: "08:00", end: "12:00", agents: 1}]}
chats:
  web:
    arrivals: {rate_per_hour: 20}
    handle_time: {dist: exponential, mean: 8min}
    patience: {dist: exponential, mean: 2min}
    groups: [bpo_chat]
    concurrency: 2
    stretch: [1.0, 1.2]
    service_level: {threshold: 60s, target: 0.8}
work:
  mail:
    channel: email
    arrivals: {rate_per_hour: 12}
    handle_time: {dist: exponential, mean: 6min}
    groups: [bpo_mail, home_mail]
    hours: {mon-sun: "08:00-18:00"}
    response: {within: 8h, target: 0.9}
campaigns:
  winback:
    groups: [bpo_sales]
    list: {per_day: 600}
    hours: {mon-sun: "09:00-17:00"}
    dialing: progressive
    outcomes:
      no_answer: {share: 0.6, ring_time: {dist: deterministic, value: 20s}}
      right_party:
        share: 0.4
        ring_time: {dist: exponential, mean: 8s}
        talk_time: {dist: exponential, mean: 3min}
    retry: {max_attempts: 2, no_answer: {dist: deterministic, value: 1h}}
    sale: {conversion: 0.2, revenue: 90}
"""
MONTH_DAYS = 365.25 / 12
RIGHT_PARTY = ATTEMPT_OUTCOMES.index("right_party")


def test_the_partner_invoice_counts_the_chats_items_contacts_and_sales_of_its_own_agents() -> None:
    s = scenario(PARTNER)
    groups = list(build_layout(s).group_names)
    bpo = np.asarray([groups.index(g) for g in ("bpo_chat", "bpo_mail", "bpo_sales")])
    for rep in range(s.run.replications):
        facts, records = facts_and_records(s, rep)
        chats = records.chats
        items = records.items
        attempts = records.attempts
        assert chats is not None and items is not None and attempts is not None
        taken = int((~np.isnan(chats.start_at)).sum())
        finished = int((~np.isnan(items.end_at) & np.isin(items.group, bpo)).sum())
        at_home = int((~np.isnan(items.end_at) & (items.group == groups.index("home_mail"))).sum())
        contacts, sales = int((attempts.outcome == RIGHT_PARTY).sum()), int(attempts.sale.sum())
        assert min(taken, finished, at_home, contacts, sales) > 0  # every unit occurs, the home team works mail
        bill = facts.costs.invoices["bpo"]
        expected = {"chats": 2.5 * taken, "items": 1.8 * finished, "contacts": 3.0 * contacts, "sales": 12.0 * sales,
                    "revenue_share": 0.1 * 90 * sales, "monthly_fee": 600 / MONTH_DAYS}
        assert set(bill) == set(expected)
        for key, amount in expected.items():
            assert bill[key] == pytest.approx(amount, rel=1e-12), key


@pytest.mark.parametrize(("contract", "path", "group", "price"), [
    ("{per_item: 1.8, per_contact: 3, per_sale: 12}", "partner.yaml:25 chats.web.groups[0]", "bpo_chat", "per_chat"),
    ("{per_chat: 2.5, per_contact: 3}", "partner.yaml:34 work.mail.groups[0]", "bpo_mail", "per_item"),
    ("{per_chat: 2.5, per_item: 1.8}", "partner.yaml:39 campaigns.winback.groups[0]", "bpo_sales", "per_contact"),
])
def test_a_partner_that_cannot_pay_for_its_work_is_refused(contract: str, path: str, group: str, price: str) -> None:
    text = PARTNER.replace(
        "{per_chat: 2.5, per_item: 1.8, per_contact: 3, per_sale: 12, revenue_share: 0.1, monthly_fee: 600}", contract)
    with pytest.raises(ScenarioError) as bad:
        parse_scenario(text, "partner.yaml")
    message = str(bad.value)
    assert message.startswith(f"{path}: '{group}' works at partner site 'bpo', whose contract pays nothing for "
                              f"this work: give the contract {price}"), message
    assert message.endswith("or the group a cost_per_hour"), message


def test_a_fee_per_sale_does_not_pay_for_a_campaign_that_sells_nothing() -> None:
    text = PARTNER.replace("    sale: {conversion: 0.2, revenue: 90}\n", "").replace(
        "{per_chat: 2.5, per_item: 1.8, per_contact: 3, per_sale: 12, revenue_share: 0.1, monthly_fee: 600}",
        "{per_chat: 2.5, per_item: 1.8, per_sale: 12}")
    with pytest.raises(ScenarioError) as bad:
        parse_scenario(text, "partner.yaml")
    assert "campaigns.winback.groups[0]: 'bpo_sales' works at partner site 'bpo', whose contract pays nothing for " \
           "this work: give the contract per_contact or per_hour or per_fte_month or monthly_fee" in str(bad.value)


def test_time_prices_pay_for_any_work_at_the_partner() -> None:
    text = PARTNER.replace(
        "{per_chat: 2.5, per_item: 1.8, per_contact: 3, per_sale: 12, revenue_share: 0.1, monthly_fee: 600}",
        "{per_hour: 25}")
    s = parse_scenario(text, "partner.yaml")
    result = run(s, workers=1)
    hours = (3 * 10 + 2 * 8 + 3 * 8)
    for facts in result.facts:
        assert facts.costs.invoices["bpo"]["hours"] == pytest.approx(25 * hours, rel=1e-12)


SHARED = """
name: shared_partner
run: {days: 1, replications: 2, seed: 5, interval: 1h}
clients:
  shop:
    call_types:
      orders:
        arrivals: {rate_per_hour: 20}
        handle_time: {dist: exponential, mean: 3min}
        patience: none
  bank: {}
sites:
  bpo:
    kind: partner
    bill_per_client: BILL
    contract: {per_chat: 2, per_item: 3, per_call: 1, monthly_fee: 300}
agent_groups:
  bpo_phone: {site: bpo, skills: [orders], agents: 3}
  bpo_chat: {site: bpo, skills: [], shifts: [{start: "08:00", end: "18:00", agents: 2}]}
  bpo_mail: {site: bpo, skills: [], shifts: [{start: "08:00", end: "16:00", agents: 1}]}
chats:
  shop_chat:
    client: shop
    arrivals: {rate_per_hour: 10}
    handle_time: {dist: exponential, mean: 6min}
    patience: {dist: exponential, mean: 2min}
    groups: [bpo_chat]
    concurrency: 2
    stretch: [1.0, 1.2]
    service_level: {threshold: 60s, target: 0.8}
work:
  bank_mail:
    client: bank
    channel: email
    arrivals: {rate_per_hour: 6}
    handle_time: {dist: exponential, mean: 6min}
    groups: [bpo_mail]
    response: {within: 8h, target: 0.9}
"""


def test_a_partner_billing_each_client_bills_each_its_own_tasks() -> None:
    """One partner works a shop's calls and chats and a bank's e-mail (the bank has no inbound line): billed per
    client, each invoice counts only that client's units and carries its own base fee; billed once, the invoice
    counts them all and the total is the same but for the fee charged once."""
    s = scenario(SHARED.replace("BILL", "true"))
    one = scenario(SHARED.replace("BILL", "false"))
    for rep in range(s.run.replications):
        facts, records = facts_and_records(s, rep)
        single = facts_and_records(one, rep)[0]
        assert records.chats is not None and records.items is not None
        chats = int((~np.isnan(records.chats.start_at)).sum())
        items = int((~np.isnan(records.items.end_at)).sum())
        shop, bank = facts.costs.lines["bpo", "shop"], facts.costs.lines["bpo", "bank"]
        assert (shop.items["chats"], shop.items["items"]) == (2 * chats, 0) and shop.items["calls"] > 0
        assert (bank.items["chats"], bank.items["items"], bank.items["calls"]) == (0, 3 * items, 0)
        fee = 300 / MONTH_DAYS
        assert shop.items["monthly_fee"] == pytest.approx(fee) and bank.items["monthly_fee"] == pytest.approx(fee)
        whole = single.costs.lines["bpo", "all"]
        assert whole.items["chats"] == 2 * chats and whole.items["items"] == 3 * items
        assert shop.total + bank.total == pytest.approx(whole.total + fee, rel=1e-12)
        money = facts.costs.by_client  # clients in file order: shop, bank
        fees, task = money[COMPONENTS.index("partner_fees")], money[COMPONENTS.index("partner_task_fees")]
        assert (fees + task).tolist() == pytest.approx([shop.total, bank.total], rel=1e-12)
        assert fees[1] == 0 and task[1] == pytest.approx(bank.total, rel=1e-12)  # the bank has only e-mail
        assert task[0] >= shop.items["chats"] > 0  # the shop's chats, and its chat agents' share of the fee


MIXED = """
name: mixed
run: {days: 1, replications: 2, seed: 6, interval: 1h}
clients:
  alpha:
    call_types:
      orders:
        arrivals: {rate_per_hour: 30}
        handle_time: {dist: exponential, mean: 4min}
        patience: none
        sales: {offer: 0.5, conversion: 0.2, revenue: 80}
  beta: {}
sites:
  bpo: {kind: partner, contract: {per_hour: 20, per_chat: 3, revenue_share: 0.1, per_call: 0.5}}
agent_groups:
  phones: {site: bpo, skills: [orders], agents: 4}
  chatters: {site: bpo, skills: [], shifts: [{start: "08:00", end: "18:00", agents: 2}]}
chats:
  web:
    client: beta
    arrivals: {rate_per_hour: 12}
    handle_time: {dist: exponential, mean: 6min}
    patience: {dist: exponential, mean: 2min}
    groups: [chatters]
    concurrency: 2
    stretch: [1.0, 1.2]
    service_level: {threshold: 60s, target: 0.8}
"""


def test_a_pooled_partner_charges_each_unit_to_its_owner_and_tasks_stay_out_of_the_cost_per_call() -> None:
    """Alpha's calls (with sales offers) and beta's chats at one partner, one invoice: beta pays none of alpha's
    revenue share or per-call charges and alpha none of beta's chat fees; beta's whole share is partner_task_fees,
    alpha's partner_fees; the two add up to the invoice; the cost per handled call counts alpha's inbound cost only."""
    result = run(scenario(MIXED), workers=1)
    alpha, beta = (result.layout.client_names.index(c) for c in ("alpha", "beta"))
    fees, task = COMPONENTS.index("partner_fees"), COMPONENTS.index("partner_task_fees")
    for f in result.facts:
        money = f.costs.by_client
        bill = f.costs.invoices["bpo"]
        assert money[fees, beta] == 0 and money[task, alpha] == 0
        assert money[task, beta] >= bill["chats"] > 0
        assert money[fees, alpha] >= bill["revenue_share"] + bill["calls"] and bill["calls"] > 0
        assert money[fees].sum() + money[task].sum() == pytest.approx(sum(bill.values()), rel=1e-12)
    rows = {(r.level, r.name): r.kpis for r in kpi_rows(result)}
    assert float(rows["total", "all"]["cost_per_call"].mean) == pytest.approx(
        float(rows["client", "alpha"]["cost_per_call"].mean), rel=1e-12)


BLENDED = """
name: blended_clients
run: {days: 1, replications: 2, seed: 4, interval: 1h, start_day: mon}
clients:
  alpha:
    call_types:
      hotline:
        arrivals: {rate_per_hour: 20}
        handle_time: {dist: exponential, mean: 4min}
        patience: none
  beta: {}
agent_groups:
  team: {skills: [hotline], agents: 4, cost_per_hour: 30}
campaigns:
  winback:
    client: beta
    groups: [team]
    reserve: 1
    list: {per_day: 400}
    hours: {mon-sun: "08:00-18:00"}
    dialing: progressive
    outcomes:
      no_answer: {share: 0.6, ring_time: {dist: deterministic, value: 20s}}
      right_party: {share: 0.4, ring_time: {dist: deterministic, value: 5s}, talk_time: {dist: exponential, mean: 3min}}
"""


def test_a_blended_team_bills_the_campaign_client_its_share_of_the_labour() -> None:
    """One in-house team answers alpha's calls and, in quiet periods, works beta's campaign: its labour is split
    by minutes, calls for alpha and the campaign's agent time for beta (in-house labour of both)."""
    s = scenario(BLENDED)
    for rep in range(s.run.replications):
        facts, records = facts_and_records(s, rep)
        assert records.attempts is not None
        answered = records.outcome == ANSWERED
        call_minutes = float((records.end_at - records.start_at)[answered].sum()) / 60.0
        a = records.attempts
        campaign_minutes = float((a.end_at - a.busy_from)[~np.isnan(a.busy_from)].sum()) / 60.0
        labour = 4 * 24 * 30.0
        money = facts.costs.by_client[COMPONENTS.index("in_house_labour")]
        assert money.sum() == pytest.approx(labour, rel=1e-12)
        assert money[1] == pytest.approx(labour * campaign_minutes / (call_minutes + campaign_minutes), rel=1e-6)
