"""The scenario schema: typed, frozen, all times in seconds. One source of truth for validation and JSON Schema.

Field-level rules live here; rules that need the whole scenario (cross-references) live in ``checks.py``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, model_validator

from sim.errors import ValueAtKey, shown
from sim.scenario.campaigns import Campaign
from sim.scenario.contract import AllocationKey, Telephony
from sim.scenario.distributions import Delay, Distribution
from sim.scenario.outsourcing import OpeningHours, Overflow, Site, SiteKind
from sim.scenario.sales import Sales
from sim.scenario.types import (
    ALL_DAYS,
    MAX_AGENTS,
    MAX_COUNT,
    MAX_RATE,
    STRICT,
    Agents,
    Clock,
    Count,
    Duration,
    Factor,
    Money,
    Name,
    Percent,
    PositiveDuration,
    PositiveFactor,
    Priority,
    Rank,
    Share,
    ShiftEnd,
    Weekday,
)
from sim.units import DAY, format_clock

SHARE_TOLERANCE = 0.005
"""Profile shares may miss 1 (or 100 %) by this much (rounded tables); they are then normalised exactly."""


def _none_word(value: Any) -> Any:
    """The word 'none' (no abandonment) becomes None; an empty value is refused (it may be an oversight)."""
    if value is None:
        raise ValueError("is empty: give a distribution, or 'none' for callers who never hang up")
    return None if isinstance(value, str) and value.strip().lower() == "none" else value


def _no_arrivals(value: Any) -> Any:
    """The word 'none' (only transferred calls arrive) becomes None; an empty value is refused."""
    if value is None:
        raise ValueError("is empty: give the arrivals, or 'none' for a queue that only transferred calls reach")
    return None if isinstance(value, str) and value.strip().lower() == "none" else value


def _ranked(value: Any) -> Any:
    """A plain list of skills ranks every one 1; its entries must be names."""
    if not isinstance(value, list):
        return value
    for i, name in enumerate(value):
        if not isinstance(name, str):
            raise ValueAtKey(i, f"must be the name of a call type (got {shown(name)})")
    return dict.fromkeys(value, 1)


class Model(BaseModel):
    model_config = STRICT


class SLDefinition(StrEnum):
    """How the service level is computed (DOMAIN.md section 1); all are reported, this one is headlined."""

    answered_of_offered = "answered_of_offered"  # answered <= T / (answered + abandoned)
    answered_of_answered = "answered_of_answered"  # answered <= T / answered
    answered_of_offered_minus_short = "answered_of_offered_minus_short"  # short abandons excluded
    answered_of_offered_minus_abandoned_within = "answered_of_offered_minus_abandoned_within"  # ICMI


class RoutingRule(StrEnum):
    """Which waiting call a freed agent takes (``sim.engine.routing``)."""

    rank_first = "rank_first"
    priority_first = "priority_first"


class RunSettings(Model):
    days: int = Field(1, ge=1, le=3660, description="days simulated per replication")
    start_day: Weekday = Field(Weekday.mon, description="weekday of the first simulated day")
    replications: int = Field(10, ge=1, le=10000)
    seed: int = Field(1, ge=0, le=2**32 - 1)
    interval: PositiveDuration = Field(1800.0, description="reporting interval: 15min, 30min or 60min")
    warmup: Duration = Field(0.0, description="simulated time discarded from all statistics")
    drain: Duration = Field(86400.0, description="after the horizon: at most this long to finish calls")
    volume_factor: PositiveFactor = Field(1.0, description="scales every arrival rate")

    @model_validator(mode="after")
    def _check(self) -> RunSettings:
        if DAY % self.interval:
            raise ValueAtKey("interval", f"must divide a day evenly (got {self.interval:g}s); "
                                         "use e.g. 15min, 30min or 1h")
        if self.warmup >= self.days * DAY:
            raise ValueAtKey("warmup", f"must be shorter than the horizon of {self.days} day(s) "
                                       f"(got {self.warmup / 3600:g}h)")
        return self


class ServiceLevel(Model):
    threshold: Duration = Field(20.0, description="answered within this wait counts as in service level")
    target: Share = 0.8
    definition: SLDefinition = SLDefinition.answered_of_offered_minus_abandoned_within
    short_abandon: Duration = Field(5.0, description="callers hanging up within this wait are short abandons")


class ServiceTarget(Model):
    """A call type's own service-level goal (overrides the scenario's threshold and target)."""

    threshold: Duration
    target: Share = 0.8


class Profile(Model):
    """Shares of a day's volume per step of ``resolution`` from ``start``; zero outside (closed hours)."""

    resolution: PositiveDuration = 3600.0
    start: Clock = 0.0
    shares: list[Share] | None = None
    percent: list[Percent] | None = None

    @model_validator(mode="after")
    def _check(self) -> Profile:
        if (self.shares is None) == (self.percent is None):
            raise ValueError("give exactly one of 'shares' (summing to 1) or 'percent' (summing to 100)")
        key = "shares" if self.shares is not None else "percent"
        values, total = (self.shares, 1.0) if self.shares is not None else (self.percent, 100.0)
        assert values is not None
        if not values:
            raise ValueAtKey(key, "needs at least one value")
        if abs(sum(values) - total) > SHARE_TOLERANCE * total:
            raise ValueAtKey(key, f"must sum to {total:g} (got {sum(values):.6g})")
        if self.start + len(values) * self.resolution > DAY + 1e-9:
            raise ValueAtKey(key, f"the profile runs past midnight: {len(values)} values of "
                                  f"{self.resolution / 60:g}min from {format_clock(self.start)} end at "
                                  f"{(self.start + len(values) * self.resolution) / 3600:g}h (at most 24h)")
        return self

    def fractions(self) -> list[float]:
        """The profile as shares summing to exactly 1."""
        values = self.shares if self.shares is not None else self.percent
        assert values is not None
        total = sum(values)
        return [v / total for v in values]


class ForecastError(Model):
    """How wrong the volume forecast may be: one lognormal multiplier (median 1) per replication."""

    within: float = Field(gt=0, lt=100, description="percent: the central interval's upper end is 1 + within/100")
    confidence: float = Field(gt=0, lt=100, description="percent of replications whose multiplier lies inside")
    shared: bool = Field(False, description="one draw shared by every call type with shared: true (correlated)")


class Arrivals(Model):
    """Exactly one of: a constant rate, a daily volume with a profile, or a replayed trace."""

    rate_per_hour: float | None = Field(None, gt=0, le=MAX_RATE,
                                        description="constant Poisson rate, all day, every day")
    daily_volume: float | None = Field(None, gt=0, le=24 * MAX_RATE,
                                       description="calls on an average weekday (day factor 1)")
    profile: Profile | None = None
    day_of_week: dict[Weekday, Factor] | None = Field(None, description="factor per weekday; all seven days")
    busyness_cv: float = Field(0.0, ge=0, le=2, description="CV of a gamma day-level factor with mean 1")
    trace: str | None = Field(None, description="CSV file with a 'time' column (and optionally 'call_type')")
    forecast_error: ForecastError | None = Field(None, description="volume multiplier drawn once per replication")

    @model_validator(mode="after")
    def _check(self) -> Arrivals:
        given = [k for k in ("rate_per_hour", "daily_volume", "trace") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'rate_per_hour', 'daily_volume' or 'trace'"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.daily_volume is not None and self.profile is None:
            raise ValueAtKey("daily_volume", "needs a 'profile' to spread it over the day")
        if self.daily_volume is None and self.profile is not None:
            raise ValueAtKey("profile", "only goes with 'daily_volume'")
        if self.day_of_week is not None:
            missing = [d.value for d in ALL_DAYS if d not in self.day_of_week]
            if missing:
                raise ValueAtKey("day_of_week", f"needs all seven days; missing {', '.join(missing)}")
        if self.trace is not None and (self.day_of_week or self.busyness_cv or self.forecast_error):
            raise ValueError("a trace is replayed as recorded: "
                             "day_of_week, busyness_cv and forecast_error do not apply")
        return self


class Redial(Model):
    """Callers who hang up in the queue or get a busy signal and call again (retrials)."""

    share: Share = Field(description="share of abandoned and blocked callers who call again")
    delay: Delay = Field(description="time until they call again")


class Transfer(Model):
    """A share of a call type's answered calls is passed on to another call type's queue after the first talk."""

    share: Share = Field(description="share of answered calls transferred (3-5 % is common)")
    to: Name = Field(description="call type whose queue the caller joins; its skills route it, at any site")
    handle_time: Distribution | None = Field(None, description="the second leg's handle time; default: the "
                                                               "target call type's")


class Callback(Model):
    """A caller who would wait long is offered a call back; one who accepts hangs up. Virtual hold (default): it
    keeps its place in the queue and the agent who reaches that place calls back. With ``later``: the call back
    joins the queue after that delay."""

    expected_wait: PositiveDuration | None = Field(None, description="offer when the estimated wait exceeds this")
    queue_length: Count | None = Field(None, description="offer when at least this many callers already wait")
    accept: Share = Field(description="share of the callers offered a call back who accept")
    reached: Share = Field(1.0, description="share of call backs that reach the customer")
    ring_time: Distribution | None = Field(None, description="agent time spent dialling and ringing per call back "
                                                             "(default none)")
    within: PositiveDuration = Field(1800.0, description="call-back service level: called back within this of "
                                                         "the request")
    later: Distribution | None = Field(None, description="call back later instead of keeping the caller's place: "
                                                         "the time from the request until the call back joins the "
                                                         "queue (e.g. the customer's chosen window)")

    @model_validator(mode="after")
    def _check(self) -> Callback:
        if self.expected_wait is None and self.queue_length is None:
            raise ValueError("a callback offer needs a condition: expected_wait or queue_length")
        return self


class CallType(Model):
    arrivals: Annotated[Arrivals | None, BeforeValidator(_no_arrivals)] = Field(
        description="'none' for a queue that only transferred calls reach")
    handle_time: Distribution | None = Field(None, description="talk + hold + after-call work, as one draw")
    talk_time: Distribution | None = Field(None, description="talk (+hold); give with wrap_up instead of handle_time")
    wrap_up: Distribution | None = Field(None, description="after-call work, drawn separately from talk_time")
    patience: Annotated[Distribution | None, BeforeValidator(_none_word)] = Field(
        description="time a caller waits before hanging up; 'none' for callers who never hang up")
    priority: Priority = Field(0, description="0 is served first, then 1, ... (among equally ranked skills)")
    deflection: float = Field(0.0, ge=0.0, lt=1.0, description="share served by IVR self-service")
    ivr_time: Distribution | None = Field(None, description="overrides the scenario's ivr.time for this type")
    max_queue: Count | None = Field(None, description="callers beyond this many waiting get a busy signal")
    service_level: ServiceTarget | None = Field(None, description="this type's own threshold and target")
    overflow: Overflow | None = Field(None, description="when calls may go to partner groups")
    redial: Redial | None = Field(None, description="abandoned and blocked callers who call again")
    transfer: Transfer | None = Field(None, description="answered calls passed on to another call type's queue")
    callback: Callback | None = Field(None, description="virtual hold: call-back offers to callers facing a long "
                                                        "wait")
    sales: Sales | None = Field(None, description="Care2Sale: sales offers on answered calls (offer share, "
                                                  "conversion, extra talk time, revenue per sale)")

    @model_validator(mode="after")
    def _check(self) -> CallType:
        if self.handle_time is None and self.talk_time is None:
            raise ValueError("give 'handle_time', or 'talk_time' (and optionally 'wrap_up')")
        if self.handle_time is not None and (self.talk_time is not None or self.wrap_up is not None):
            raise ValueError("give either 'handle_time' or 'talk_time' + 'wrap_up', not both")
        return self


class ResponseTarget(Model):
    """The response-time goal of deferrable work: this share answered (finished) within this time of arrival."""

    within: PositiveDuration = Field(86400.0, description="e.g. 24h")
    target: Share = 0.9


class Channel(StrEnum):
    """What kind of deferrable work (a label for the reports)."""

    email = "email"
    social = "social"
    letter = "letter"
    backoffice = "backoffice"


class WorkType(Model):
    """Deferrable work items (e-mails, social-media messages, back-office cases) worked by idle agents."""

    channel: Channel = Channel.email
    client: Name | None = Field(None, description="whose work (needed with several clients): a team that only "
                                                  "works such items bills its hours to that client")
    arrivals: Arrivals
    handle_time: Distribution
    groups: list[Name] = Field(min_length=1, description="agent groups that work these items")
    reserve: int = Field(0, ge=0, le=MAX_AGENTS, description="in a group that also takes inbound calls, this many "
                                                             "agents stay idle for inbound: items only beyond it")
    hours: OpeningHours = Field(None, description="when agents work on these items, e.g. {mon-fri: "
                                                  "'08:00-18:00'}; omit: whenever they are logged in")
    response: ResponseTarget = ResponseTarget()

    @model_validator(mode="after")
    def _check(self) -> WorkType:
        if len(set(self.groups)) != len(self.groups):
            raise ValueAtKey("groups", "lists a group twice")
        return self


class ChatType(Model):
    """Chats (web chat, messaging): customers wait in a queue and may leave; an agent handles several at once."""

    client: Name | None = Field(None, description="whose chats (needed with several clients)")
    arrivals: Arrivals
    handle_time: Distribution = Field(description="the chat's length while its agent has no other chat")
    patience: Annotated[Distribution | None, BeforeValidator(_none_word)] = Field(
        description="time a customer waits for an agent before leaving; 'none' for customers who never leave")
    groups: list[Name] = Field(min_length=1, description="agent groups that take these chats (no phone skills)")
    concurrency: int = Field(3, ge=1, le=20, description="chats an agent handles at once, at most")
    stretch: list[PositiveFactor] | None = Field(
        None, description="per number of chats an agent has (1, 2, ...): how much slower each chat progresses; "
                          "default 1 throughout")
    service_level: ServiceTarget = Field(default_factory=lambda: ServiceTarget.model_validate({"threshold": "60s"}),
                                         description="default: 80 % answered within 60 s")

    @model_validator(mode="after")
    def _check(self) -> ChatType:
        if self.stretch is not None and len(self.stretch) != self.concurrency:
            raise ValueAtKey("stretch", f"needs one factor per chat up to concurrency ({self.concurrency}), got "
                                        f"{len(self.stretch)}")
        if len(set(self.groups)) != len(self.groups):
            raise ValueAtKey("groups", "lists a group twice")
        return self


class Client(Model):
    description: str = ""
    call_types: dict[Name, CallType] = Field(default_factory=dict)


class Shift(Model):
    start: Clock
    end: ShiftEnd = Field(description="'HH:MM', or 'HH:MM+1' for a shift that ends the next day")
    agents: int = Field(ge=1, le=MAX_AGENTS)
    days: list[Weekday] = Field(default_factory=lambda: list(ALL_DAYS), min_length=1,
                                description="weekdays on which the shift starts")

    @model_validator(mode="after")
    def _check(self) -> Shift:
        if self.end <= self.start:
            raise ValueAtKey("end", f"the shift ends ({format_clock(self.end)}) before it starts "
                                    f"({format_clock(self.start)}); for a shift past midnight write "
                                    f"end: '{format_clock(self.end)}+1'")
        if self.end - self.start > DAY:
            raise ValueAtKey("end", "a shift may last at most 24h")
        return self


class StaffingTable(Model):
    """Agents logged in per step of ``resolution`` from ``start`` on the given days; zero outside."""

    resolution: PositiveDuration = 1800.0
    start: Clock = 0.0
    agents: list[Agents] = Field(min_length=1)
    days: list[Weekday] = Field(default_factory=lambda: list(ALL_DAYS), min_length=1)

    @model_validator(mode="after")
    def _check(self) -> StaffingTable:
        if self.start + len(self.agents) * self.resolution > DAY + 1e-9:
            raise ValueAtKey("agents", "the staffing table runs past midnight: "
                                       "start + len(agents) * resolution must be <= 24h")
        return self


class AgentGroup(Model):
    skills: Annotated[dict[Name, Rank], BeforeValidator(_ranked)] = Field(
        description="call types served; a mapping gives each a rank (1 = first choice), a list ranks all 1; "
                    "empty ([]) for a group that only works outbound campaigns")
    agents: Agents | None = Field(None, description="agents logged in around the clock")
    shifts: list[Shift] | None = None
    staffing: list[StaffingTable] | None = None
    site: Name | None = Field(None, description="the site the group works at (default: the only in-house site)")
    handle_time_factor: PositiveFactor = Field(1.0, description="multiplies handle times (1.1 = 10% slower)")
    cost_per_hour: Money = Field(0.0, description="loaded cost per logged-in agent hour")

    @model_validator(mode="after")
    def _check(self) -> AgentGroup:
        given = [k for k in ("agents", "shifts", "staffing") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'agents', 'shifts' or 'staffing'"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self


class IVR(Model):
    time: Distribution = Field(description="time every call spends in the IVR before self-service or queue")
    cost_per_minute: Money = Field(0.0, description="IVR cost per minute a call spends in it")


class Scenario(Model):
    """A whole contact-center scenario."""

    name: Name
    description: str = ""
    currency: str = Field("EUR", min_length=1, max_length=8)
    run: RunSettings = RunSettings()
    service_level: ServiceLevel = ServiceLevel()
    opening_hours: OpeningHours = Field(
        None, description="e.g. {mon-fri: '08:00-20:00', sat: '09:00-14:00'}; unlisted days closed; omit: 24/7")
    lines: int | None = Field(None, ge=1, le=MAX_COUNT, description="trunk lines: calls in IVR + queue + talk")
    ivr: IVR | None = None
    sites: dict[Name, Site] | None = Field(None, description="in-house and partner sites; default one in-house site")
    telephony: Telephony | None = Field(None, description="telephony cost per minute (toll-free: queue time too)")
    routing: RoutingRule = Field(RoutingRule.rank_first, description="a freed agent takes its best skill rank first "
                                 "('rank_first'), or the best call-type priority first ('priority_first')")
    cost_allocation: AllocationKey = Field("handled_minutes",
                                           description="how shared costs are split among clients")
    clients: dict[Name, Client] | None = None
    call_types: dict[Name, CallType] | None = Field(None, min_length=1,
                                                    description="single-client shorthand for clients")
    agent_groups: dict[Name, AgentGroup] = Field(min_length=1)
    campaigns: dict[Name, Campaign] | None = Field(None, description="outbound campaigns and the groups working them")
    work: dict[Name, WorkType] | None = Field(None, description="deferrable work (e-mail, back office) and the groups "
                                                                "working it")
    chats: dict[Name, ChatType] | None = Field(None, description="chat channels and the groups taking them")

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        if self.clients is not None and self.call_types is not None:
            raise ValueError("give 'clients' or 'call_types', not both")
        return self

    def site_map(self) -> dict[str, Site]:
        """Sites by name; without ``sites`` one in-house site named 'in_house' with the scenario's hours."""
        if self.sites is not None:
            return self.sites
        return {"in_house": Site(kind=SiteKind.in_house)}

    def site_of(self, group: str) -> str:
        """The site a group works at (its own, else the only in-house site)."""
        named = self.agent_groups[group].site
        if named is not None:
            return named
        return next(n for n, s in self.site_map().items() if s.kind == SiteKind.in_house)

    def client_map(self) -> dict[str, Client]:
        """Clients by name; the single-client shorthand becomes one client named after the scenario."""
        if self.clients is not None:
            return self.clients
        return {self.name: Client(call_types=self.call_types or {})}

    def all_call_types(self) -> dict[str, tuple[str, CallType]]:
        """Call type name -> (client name, call type), in file order."""
        return {t: (c, ct) for c, client in self.client_map().items() for t, ct in client.call_types.items()}
