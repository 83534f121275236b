"""Whose agent time: the hours each outbound campaign, work type and chat type takes from the agent groups, for
their productivity and labour cost.

A task's hours in a group are the time the group's agents spent on it; in a group that takes no inbound calls
(a back office, a telesales team) the group's idle time is added, split over its tasks in proportion to that time:
such a team is there for its tasks. A blended group's idle time stays with inbound, whose totals carry the
group's whole cost anyway (so a blended task's labour cost values the time it uses; it is not an extra bill).
"""

from __future__ import annotations

import numpy as np

from sim.analysis.facts import GROUP_FIELDS, Facts
from sim.engine.layout import Layout


def task_hours(facts: tuple[Facts, ...], layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agent hours per replication, task and group, warm-up excluded: [R, campaigns, G], [R, work types, G] and
    [R, chat types, G]."""
    first = facts[0].first_interval
    groups = np.stack([f.groups[:, first:, :].sum(axis=1) for f in facts])  # [R, Fg, G]
    busy, staffed = groups[:, GROUP_FIELDS.index("busy_time")], groups[:, GROUP_FIELDS.index("staffed_time")]
    outbound = groups[:, GROUP_FIELDS.index("outbound_time")]  # [R, G]
    work = np.stack([f.work_by_group for f in facts])  # [R, work types, G]
    campaigns = layout.scenario.campaigns or {}
    member = np.zeros((len(campaigns), len(layout.group_names)))
    for c, campaign in enumerate(campaigns.values()):
        member[c, [layout.group_names.index(g) for g in campaign.groups]] = 1.0
    camp = outbound[:, None, :] * member[None, :, :]  # a group works at most one campaign
    chat_types = layout.scenario.chats or {}
    takes = np.zeros((len(chat_types), len(layout.group_names)))
    for k, chat_type in enumerate(chat_types.values()):
        takes[k, [layout.group_names.index(g) for g in chat_type.groups]] = 1.0
    chat = groups[:, GROUP_FIELDS.index("chat_time")][:, None, :] * takes[None, :, :]  # a group takes one type
    tasks = camp.sum(axis=1) + work.sum(axis=1) + chat.sum(axis=1)  # [R, G]
    dedicated = np.asarray([not g.skills for g in layout.groups])
    idle = np.where(dedicated, np.maximum(staffed - busy, 0.0), 0.0)
    scale = 1.0 + np.where(tasks > 0, idle / np.where(tasks > 0, tasks, 1.0), 0.0)  # [R, G]
    return (camp * scale[:, None, :] / 3600.0, work * scale[:, None, :] / 3600.0,
            chat * scale[:, None, :] / 3600.0)
